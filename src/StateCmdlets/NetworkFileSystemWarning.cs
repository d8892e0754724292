using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace StateCmdlets
{
    /// <summary>
    /// Warns once per folder and process that a folder is on a network file system, where flock
    /// and fsync do not keep the guarantees.
    /// </summary>
    internal static class NetworkFileSystemWarning
    {
        private static readonly HashSet<string> WarnedFolders = new HashSet<string>(StringComparer.Ordinal);

        internal static void WarnOnce(Cmdlet cmdlet, string? folder)
        {
            if (string.IsNullOrEmpty(folder)) return;
            lock (WarnedFolders)
            {
                if (!WarnedFolders.Add(folder!)) return;
            }
            string? type = Core.Storage.FileSystemKind.NetworkTypeOf(folder!);
            if (type != null)
                cmdlet.WriteWarning($"'{folder}' is on a network file system ({type}). Locking and durability there are only as good as the server's: lost updates are possible when several machines write. Prefer a local disk.");
        }
    }
}
