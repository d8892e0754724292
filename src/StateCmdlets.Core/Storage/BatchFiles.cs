using System;
using System.IO;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Storage
{
    /// <summary>The files of one batch B in a state directory: B.json, B.journal, B.lock, backups.</summary>
    public sealed class BatchFiles
    {
        public const string SnapshotExtension = ".json";

        public BatchFiles(string stateDirectory, string batchId)
        {
            BatchId.Validate(batchId);
            Directory = stateDirectory;
            Id = batchId;
            SnapshotName = batchId + SnapshotExtension;
            Snapshot = System.IO.Path.Combine(stateDirectory, SnapshotName);
            Journal = System.IO.Path.Combine(stateDirectory, batchId + ".journal");
            Lock = System.IO.Path.Combine(stateDirectory, batchId + ".lock");
        }

        public string Directory { get; }

        public string Id { get; }

        public string SnapshotName { get; }

        public string Snapshot { get; }

        public string Journal { get; }

        public string Lock { get; }

        /// <summary>
        /// A second copy of the newest snapshot, written at every fold: with the journal of the same
        /// generation it holds every result, so Repair-BatchState can rebuild a damaged B.json whole.
        /// </summary>
        public string LatestBackup => Snapshot + ".bak";

        /// <summary>Where the original of a file migrated from <paramref name="version"/> is kept.</summary>
        public string Backup(SchemaVersion version) => Snapshot + ".v" + version + ".bak";

        /// <summary>Where an unreadable snapshot is moved aside (never deleted).</summary>
        public string CorruptCopy(DateTime utcNow) => CorruptCopyOf(Snapshot, utcNow);

        /// <summary>Where a damaged file of this batch (snapshot or journal) is moved aside.</summary>
        public static string CorruptCopyOf(string path, DateTime utcNow) => path + ".corrupt-" + utcNow.ToString("yyyyMMddTHHmmssfffZ", System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Temporary files of an atomic write to one of this batch's files (snapshot, journal, backups).</summary>
        public bool IsTempFile(string fileName) =>
            fileName.StartsWith("." + Id + ".", StringComparison.Ordinal) && fileName.EndsWith(".tmp", StringComparison.Ordinal)
            && (fileName.StartsWith("." + SnapshotName + ".", StringComparison.Ordinal) || fileName.StartsWith("." + Id + ".journal.", StringComparison.Ordinal));

        /// <summary>True for every file name this batch owns other than its lock file.</summary>
        public bool OwnsDataFile(string fileName) =>
            fileName == SnapshotName
            || fileName == Id + ".journal"
            || fileName == SnapshotName + ".bak"
            || (fileName.StartsWith(SnapshotName + ".v", StringComparison.Ordinal) && fileName.EndsWith(".bak", StringComparison.Ordinal))
            || fileName.StartsWith(SnapshotName + ".corrupt-", StringComparison.Ordinal)
            || fileName.StartsWith(SnapshotName + ".bak.corrupt-", StringComparison.Ordinal)
            || fileName.StartsWith(Id + ".journal.corrupt-", StringComparison.Ordinal)
            || IsTempFile(fileName);

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
            string id = IdFromSnapshotName(name) ?? throw new InvalidBatchDefinitionException("NotABatchFile",
                $"'{full}' is not a batch snapshot: batch files are named <batch id>.json (the journal, lock and backups go with them).");
            return new BatchFiles(System.IO.Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder."), id);
        }
    }
}
