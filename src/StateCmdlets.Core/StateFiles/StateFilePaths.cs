using System;
using System.IO;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// The files that go with a state file F: F itself, the lock F.lock next to it (never F: the
    /// atomic rename swaps F's inode, so a lock on F would not exclude anybody) and backups
    /// F.v&lt;old&gt;.bak (or F.v&lt;old&gt;.&lt;time&gt;.bak when that name holds an earlier original).
    /// </summary>
    internal sealed class StateFilePaths
    {
        /// <summary>
        /// A path ending in a separator is <see cref="StateFileIsFolderException"/>; whether an
        /// existing folder has the name is the store's to check (it owns the file system).
        /// </summary>
        public StateFilePaths(string path)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("A state file path is required.", nameof(path));
            Data = Path.GetFullPath(path);
            FileName = Path.GetFileName(Data);
            if (string.IsNullOrEmpty(FileName)) throw new StateFileIsFolderException(Data);
            Directory = Path.GetDirectoryName(Data) ?? throw new StateFileIsFolderException(Data);
            Lock = Data + AuxiliaryFiles.LockSuffix;
        }

        /// <summary>The state file, as a full path.</summary>
        public string Data { get; }

        public string FileName { get; }

        public string Directory { get; }

        public string Lock { get; }

        /// <summary>Where the original of a file migrated from <paramref name="version"/> is kept.</summary>
        public string Backup(SchemaVersion version) => MigrationBackup.PathFor(Data, version);

        /// <summary>Where it is kept when <see cref="Backup(SchemaVersion)"/> already holds another original.</summary>
        public string Backup(SchemaVersion version, DateTime utc) => MigrationBackup.PathFor(Data, version, utc);
    }
}
