using System;
using System.IO;
using System.Text.RegularExpressions;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// The files that go with a state file F: F itself, the lock F.lock next to it (never F: the
    /// atomic rename swaps F's inode, so a lock on F would not exclude anybody) and backups
    /// F.v&lt;old&gt;.bak (or F.v&lt;old&gt;.&lt;time&gt;.bak when that name holds an earlier original).
    /// </summary>
    public sealed class StateFilePaths
    {
        public const string LockSuffix = ".lock";

        /// <summary>The time in a backup's name: sorts as it reads, and is the same in every culture.</summary>

        // The module's own files next to a state file: lock, backups, temp files of a write, copies set aside.
        private static readonly Regex BackupName = new Regex(@"^.+\.v[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]{8}T[0-9]{9}Z)?\.bak$", RegexOptions.CultureInvariant);
        private static readonly Regex TempName = new Regex(@"^\..+\.[0-9a-f]{12}\.tmp$", RegexOptions.CultureInvariant);

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
            Lock = Data + LockSuffix;
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

        /// <summary>
        /// True for the name of a file this module keeps next to a state file: a lock (F.lock), a
        /// migration backup (F.v1.0.0.bak, F.v1.0.0.20260102T030405006Z.bak), a temp file of a write
        /// (.F.&lt;hex&gt;.tmp) or a copy set aside (F.corrupt-&lt;time&gt;). A wildcard skips them.
        /// </summary>
        public static bool IsAuxiliaryFileName(string fileName)
        {
            if (fileName == null) throw new ArgumentNullException(nameof(fileName));
            return fileName.EndsWith(LockSuffix, StringComparison.Ordinal)
                || fileName.IndexOf(".corrupt-", StringComparison.Ordinal) > 0
                || BackupName.IsMatch(fileName)
                || TempName.IsMatch(fileName);
        }
    }
}
