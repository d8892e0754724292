using System.Diagnostics;
using System.Security.Cryptography;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// The fold: the whole batch written as a new snapshot with a fresh journal generation, its
    /// backup copy, then a fresh journal. A crash in between leaves the new snapshot with a stale
    /// journal, which readers ignore: its records are all in the snapshot. An older file's original
    /// is backed up first.
    /// </summary>
    internal sealed class SnapshotWriter
    {

        private readonly FileStoreParts _parts;

        internal SnapshotWriter(FileStoreParts parts) => _parts = parts;

        internal void Fold(BatchFiles files, BatchSession session)
        {
            var clock = Stopwatch.StartNew();
            // Records staged and not written yet are in the new snapshot: the old journal they were for is dropped.
            session.Staged = null;
            session.FoldRequested = false;
            if (session.OriginalBytes != null && session.FileVersion < _parts.Options.Migrator.Current)
            {
                byte[] original = session.OriginalBytes;
                string backup = MigrationBackup.Choose(_parts.Fs, files.Snapshot, session.FileVersion, original, _parts.Options.UtcNow());
                if (!_parts.Fs.FileExists(backup))
                {
                    Guard(backup, "write", () => AtomicFile.Write(_parts.Fs, backup, original));
                    _parts.Options.Trace?.Invoke($"Backed up '{files.Snapshot}' (version {session.FileVersion}) to '{backup}'.");
                }
                session.BackupPath = backup;
            }
            session.Batch.SchemaVersion = SchemaVersion.Max(_parts.Options.Migrator.Current, session.FileVersion);
            var mark = new SnapshotMark(NewGeneration(), session.LastSequence);
            byte[] snapshot = BatchDocument.Serialize(session.Batch, mark);
            // The backup's folder fsync right after makes this rename durable too: one folder fsync, not two.
            // Either snapshot goes with the old journal (which a newer snapshot marks stale).
            Guard(files.Snapshot, "write", () => AtomicFile.Write(_parts.Fs, files.Snapshot, snapshot, flushDirectory: false));
            session.SnapshotStamp = _parts.Fs.Stamp(files.Snapshot);
            // After the snapshot, so a crash in between leaves the previous backup with its own journal.
            Guard(files.LatestBackup, "write", () => AtomicFile.Write(_parts.Fs, files.LatestBackup, snapshot));
            _parts.Journal.Start(files, session, mark.Generation!);

            session.Mark = mark;
            session.SnapshotLength = snapshot.Length;
            session.FileVersion = session.Batch.SchemaVersion;
            session.OriginalBytes = null;
            _parts.Options.Trace?.Invoke($"Wrote snapshot '{files.Snapshot}' ({snapshot.Length} bytes, up to record {mark.Sequence}) and a fresh journal in {clock.Elapsed.TotalMilliseconds:0.0} ms.");
        }

        /// <summary>Fold when the journal's records outgrow both the snapshot and the configured minimum (amortised O(1) per record).</summary>
        internal bool JournalOutgrown(BatchSession session) => session.RecordBytes > System.Math.Max(session.SnapshotLength, _parts.Options.FoldMinimumBytes);

        private static string NewGeneration()
        {
            var bytes = new byte[8];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return System.BitConverter.ToString(bytes).Replace("-", string.Empty).ToLowerInvariant();
        }
    }
}
