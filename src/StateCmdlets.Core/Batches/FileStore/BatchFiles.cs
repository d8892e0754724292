using System;
using System.IO;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>The files of one batch B in a state directory: B.json, B.journal, B.lock, backups.</summary>
    internal sealed class BatchFiles
    {
        public const string SnapshotExtension = ".json";

        private const string JournalExtension = ".journal";

        private const string BackupExtension = ".bak";

        public BatchFiles(string stateDirectory, string batchId)
        {
            BatchId.Validate(batchId);
            Directory = stateDirectory;
            Id = batchId;
            SnapshotName = batchId + SnapshotExtension;
            Snapshot = System.IO.Path.Combine(stateDirectory, SnapshotName);
            Journal = System.IO.Path.Combine(stateDirectory, batchId + JournalExtension);
            Lock = System.IO.Path.Combine(stateDirectory, batchId + AuxiliaryFiles.LockSuffix);
        }

        public string Directory { get; }

        public string Id { get; }

        public string SnapshotName { get; }

        public string Snapshot { get; }

        public string Journal { get; }

        public string Lock { get; }

        public string BackupName => SnapshotName + BackupExtension;

        /// <summary>
        /// A second copy of the newest snapshot, written at every fold: with the journal of the same
        /// generation it holds every result, so Repair-BatchState can rebuild a damaged B.json whole.
        /// </summary>
        public string LatestBackup => AuxiliaryFiles.LatestBackupOf(Snapshot);

        /// <summary>Where the original of a file migrated from <paramref name="version"/> is kept.</summary>
        public string Backup(SchemaVersion version) => MigrationBackup.PathFor(Snapshot, version);

        /// <summary>
        /// Temporary files of an atomic write to one of this batch's files: "." + the file's name +
        /// "." + a random suffix + ".tmp". Matched on the whole target name, so the temp files of
        /// batch "a.journal" are never taken for batch "a"'s.
        /// </summary>
        public bool IsTempFile(string fileName)
        {
            string? target = AuxiliaryFiles.TempTarget(fileName);
            return target != null && OwnsFinalFile(target);
        }

        /// <summary>True for every file name this batch owns other than its lock file.</summary>
        public bool OwnsDataFile(string fileName) => OwnsFinalFile(fileName) || IsTempFile(fileName);

        /// <summary>A migration backup B.json.v&lt;version&gt;.bak (the version must parse, so batch "B.json.v1" is not taken for one).</summary>
        public bool IsMigrationBackup(string fileName) => MigrationBackupVersion(fileName) != null;

        /// <summary>The version a migration backup was taken from, or null when the name is not one.</summary>
        public SchemaVersion? MigrationBackupVersion(string fileName) => MigrationBackup.VersionOf(fileName, SnapshotName);

        private bool OwnsFinalFile(string fileName) =>
            fileName == SnapshotName
            || fileName == Id + JournalExtension
            || fileName == SnapshotName + BackupExtension
            || IsMigrationBackup(fileName)
            || AuxiliaryFiles.IsCorruptCopyOf(fileName, SnapshotName)
            || AuxiliaryFiles.IsCorruptCopyOf(fileName, BackupName)
            || AuxiliaryFiles.IsCorruptCopyOf(fileName, Id + JournalExtension);

        /// <summary>The batch id of a snapshot, journal or backup file name (B.json, B.journal, B.json.bak), or null.</summary>
        public static string? IdFromMainFileName(string fileName)
        {
            if (fileName.EndsWith(JournalExtension, StringComparison.Ordinal))
                return IdFromSnapshotName(fileName.Substring(0, fileName.Length - JournalExtension.Length) + SnapshotExtension);
            if (fileName.EndsWith(SnapshotExtension + BackupExtension, StringComparison.Ordinal))
                return IdFromSnapshotName(fileName.Substring(0, fileName.Length - BackupExtension.Length));
            return IdFromSnapshotName(fileName);
        }

        /// <summary>The batch id of a snapshot file name, or null when the name is not one.</summary>
        public static string? IdFromSnapshotName(string fileName)
        {
            if (!fileName.EndsWith(SnapshotExtension, StringComparison.Ordinal)) return null;
            string id = fileName.Substring(0, fileName.Length - SnapshotExtension.Length);
            return BatchId.IsValid(id) ? id : null;
        }

        /// <summary>Splits a path to a snapshot into its state directory and batch id.</summary>
        public static BatchFiles FromSnapshotPath(string path)
        {
            string full = System.IO.Path.GetFullPath(path);
            string name = System.IO.Path.GetFileName(full);
            string id = IdFromSnapshotName(name) ?? throw new InvalidBatchDefinitionException(StateErrorIds.NotABatchFile,
                $"'{full}' is not a batch snapshot: batch files are named <batch id>.json (the journal, lock and backups go with them).");
            return new BatchFiles(System.IO.Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder."), id);
        }
    }
}
