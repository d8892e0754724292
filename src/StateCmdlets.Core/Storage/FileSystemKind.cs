using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// Tells whether a folder is on a network file system, where flock and fsync do not give the
    /// guarantees the store relies on (Linux: the mount's type in /proc/mounts; Windows: the drive type).
    /// </summary>
    internal static class FileSystemKind
    {
        private static readonly string[] NetworkTypes = { "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs", "fuse.glusterfs", "lustre" };

        /// <summary>The network file system type holding <paramref name="directory"/>, or null for a local one (or when unknown).</summary>
        public static string? NetworkTypeOf(string directory)
        {
            try
            {
                string full = Path.GetFullPath(directory);
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return WindowsNetworkType(full);
                if (!File.Exists("/proc/mounts")) return null;
                return NetworkTypeOf(full, File.ReadAllLines("/proc/mounts"));
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException)
            {
                return null;
            }
        }

        /// <summary>The type of the longest mount point that holds <paramref name="fullPath"/>, when it is a network one.</summary>
        public static string? NetworkTypeOf(string fullPath, string[] mounts)
        {
            string? bestType = null;
            int bestLength = -1;
            foreach (string line in mounts)
            {
                var fields = line.Split(' ');
                if (fields.Length < 3) continue;
                string mountPoint = fields[1].Replace("\\040", " ");
                bool holds = fullPath == mountPoint || fullPath.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
                if (!holds || mountPoint.Length <= bestLength) continue;
                bestLength = mountPoint.Length;
                bestType = fields[2];
            }
            return bestType != null && NetworkTypes.Contains(bestType, StringComparer.OrdinalIgnoreCase) ? bestType : null;
        }

        private static string? WindowsNetworkType(string full)
        {
            if (full.StartsWith(@"\\", StringComparison.Ordinal)) return "UNC share";
            string? root = Path.GetPathRoot(full);
            if (string.IsNullOrEmpty(root)) return null;
            return new DriveInfo(root).DriveType == DriveType.Network ? "network drive" : null;
        }
    }
}
