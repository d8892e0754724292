using System;
using System.IO;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// The files that go with a state file F: F itself, the lock F.lock next to it (never F: the
    /// atomic rename swaps F's inode, so a lock on F would not exclude anybody) and backups F.v&lt;old&gt;.bak.
    /// </summary>
    public sealed class StateFilePaths
    {
        public const string LockSuffix = ".lock";

        public StateFilePaths(string path)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("A state file path is required.", nameof(path));
            Data = Path.GetFullPath(path);
            FileName = Path.GetFileName(Data);
            if (string.IsNullOrEmpty(FileName)) throw new ArgumentException($"'{path}' names a folder, not a file.", nameof(path));
            Directory = Path.GetDirectoryName(Data) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
            Lock = Data + LockSuffix;
        }

        /// <summary>The state file, as a full path.</summary>
        public string Data { get; }

        public string FileName { get; }

        public string Directory { get; }

        public string Lock { get; }

        /// <summary>Where the original of a file migrated from <paramref name="version"/> is kept.</summary>
        public string Backup(SchemaVersion version) => Data + ".v" + version + ".bak";
    }
}
