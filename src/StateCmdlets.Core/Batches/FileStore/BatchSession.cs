using StateCmdlets.Core.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// A batch as a writer holds it in memory between updates, with where it stands on disk, so the
    /// next update under the lock only has to read what other processes appended since.
    /// </summary>
    internal sealed class BatchSession
    {
        internal BatchSession(Batch batch, SnapshotMark mark, long snapshotLength, SchemaVersion fileVersion, byte[]? originalBytes)
        {
            Batch = batch;
            Mark = mark;
            SnapshotLength = snapshotLength;
            LastSequence = mark.Sequence;
            FileVersion = fileVersion;
            OriginalBytes = originalBytes;
        }

        internal Batch Batch { get; }

        /// <summary>The journal mark of the snapshot on disk.</summary>
        internal SnapshotMark Mark { get; set; }

        internal long SnapshotLength { get; set; }

        /// <summary>
        /// The snapshot file as this session last read or wrote it: a change nobody of ours made
        /// (an edit by hand, a restore, damage) shows as another stamp, and the session is reloaded.
        /// </summary>
        internal Storage.FileStamp? SnapshotStamp { get; set; }

        /// <summary>Sequence number of the last record folded into <see cref="Batch"/>.</summary>
        internal long LastSequence { get; set; }

        /// <summary>Header bytes of the journal that goes with the snapshot; null when it is missing or stale.</summary>
        internal byte[]? JournalHeader { get; set; }

        /// <summary>The format of the journal on disk (its header's).</summary>
        internal int JournalFormat { get; set; } = JournalCodec.Format;

        /// <summary>Bytes of the journal up to the end of the last whole record.</summary>
        internal long JournalLength { get; set; }

        /// <summary>Start of a torn final write, which the next writer overwrites and clears.</summary>
        internal long? TornAt { get; set; }

        /// <summary>Just past the last non-zero byte of the journal (leftovers of a torn write end there).</summary>
        internal long DirtyEnd { get; set; }

        /// <summary>The journal file's length: records are written in place up to it, zeros beyond them.</summary>
        internal long JournalCapacity { get; set; }

        /// <summary>The version the snapshot file is written in.</summary>
        internal SchemaVersion FileVersion { get; set; }

        /// <summary>The snapshot as read, kept only while it is older than the current version (for its backup).</summary>
        internal byte[]? OriginalBytes { get; set; }

        /// <summary>Where the last migration's original was kept (reported by Invoke-StateMigration).</summary>
        internal string? BackupPath { get; set; }

        /// <summary>The journal on disk was of another generation when this session was read.</summary>
        internal bool StaleJournalSeen { get; set; }

        /// <summary>Records staged in memory, not written yet (see <see cref="JournalWriter.Stage"/>).</summary>
        internal System.IO.MemoryStream? Staged { get; set; }

        /// <summary>Where in the journal the staged records go.</summary>
        internal long StagedFrom { get; set; }

        /// <summary>A change asked for a fold once its records are written (the batch has nothing left to do).</summary>
        internal bool FoldRequested { get; set; }

        /// <summary>The journal, opened under the lock for this change only (catching up, then writing).</summary>
        internal Storage.IWritableFile? OpenJournal { get; set; }

        internal void CloseJournal()
        {
            OpenJournal?.Dispose();
            OpenJournal = null;
        }

        internal long RecordBytes => JournalHeader == null ? 0 : JournalLength - JournalHeader.Length;
    }
}
