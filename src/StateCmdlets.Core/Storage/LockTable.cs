using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// Who holds a flock, from the kernel's own table (/proc/locks on Linux): right for any
    /// program (a Python script too), and free for the holder, which writes nothing.
    /// </summary>
    internal static class LockTable
    {
        internal static readonly bool Available = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && File.Exists("/proc/locks");

        /// <summary>"pid 1234 (python3)" for the process holding a flock on <paramref name="path"/>, or null.</summary>
        internal static string? HolderOf(string path)
        {
            try
            {
                var identity = UnixNative.Identity(path);
                if (!identity.HasValue) return null;
                string inode = identity.Value.Inode.ToString(CultureInfo.InvariantCulture);
                foreach (string line in File.ReadAllLines("/proc/locks"))
                {
                    // 1: FLOCK  ADVISORY  WRITE 26270 08:01:1234567 0 EOF
                    var fields = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length < 6 || fields[1] != "FLOCK" || fields[2] == "->") continue;
                    string[] device = fields[5].Split(':');
                    if (device.Length != 3 || device[2] != inode) continue;
                    string pid = fields[4];
                    string name = ReadName(pid);
                    return name.Length == 0 ? "pid " + pid : $"pid {pid} ({name})";
                }
                return null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        private static string ReadName(string pid)
        {
            try { return File.ReadAllText("/proc/" + pid + "/comm").Trim(); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { return string.Empty; }
        }
    }
}
