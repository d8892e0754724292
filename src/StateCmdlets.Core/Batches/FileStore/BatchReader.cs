using System;
using System.IO;
using StateCmdlets.Core.Storage;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// Reading a batch: the snapshot (migrated in memory when older), the journal replayed over it,
    /// and a writer's catching up with what other processes appended since its last change.
    /// Never writes.
    /// </summary>
    internal sealed class BatchReader
    {

        private readonly FileStoreParts _parts;

        internal BatchReader(FileStoreParts parts) => _parts = parts;

        /// <summary>
        /// A read without the lock. A writer may fold between our reading the snapshot and the
        /// journal; then the journal's generation no longer matches and we read again, so a reader
        /// never misses an acknowledged result.
        /// </summary>
        internal BatchSession Read(BatchFiles files)
        {
            for (int attempt = 1; ; attempt++)
            {
                var session = ReadOnce(files);
                if (!session.StaleJournalSeen || attempt >= 20) return session;
                var mark = BatchDocument.TryReadMark(Guard(files.Snapshot, "read", () => ReadPrefixOrEmpty(files.Snapshot)));
                if (mark.HasValue && mark.Value.Generation == session.Mark.Generation && mark.Value.Sequence == session.Mark.Sequence)
                    return session; // the snapshot did not move: that journal really is a leftover
            }
        }

        /// <summary>Full read: snapshot, migrated in memory if older, then the journal replayed over it.</summary>
        internal BatchSession ReadOnce(BatchFiles files)
        {
            byte[] bytes;
            FileStamp? stamp;
            try
            {
                stamp = _parts.Fs.Stamp(files.Snapshot);
                bytes = _parts.Fs.ReadAllBytes(files.Snapshot);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                throw new BatchNotFoundException(files.Id, files.Snapshot);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(files.Snapshot, "read", e);
            }
            var batch = BatchDocument.Deserialize(bytes, files.Snapshot, files.Id, _parts.Options.Migrator, out var fileVersion, out var mark);
            var session = new BatchSession(batch, mark, bytes.Length, fileVersion, fileVersion < _parts.Options.Migrator.Current ? bytes : null)
            {
                // Taken before the read: a change in between shows as another stamp at the next catch-up.
                SnapshotStamp = stamp,
            };
            if (mark.Generation == null) return session; // no journal goes with this snapshot

            byte[] journal;
            try
            {
                journal = _parts.Fs.ReadAllBytes(files.Journal);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return session;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(files.Journal, "read", e);
            }
            var contents = JournalCodec.Decode(journal, files.Journal, files.Id, mark.Generation);
            if (contents.Generation != mark.Generation)
            {
                // Stale: left over from before the last snapshot, or the snapshot moved on while we read.
                session.StaleJournalSeen = true;
                return session;
            }
            session.JournalHeader = Slice(journal, contents.HeaderLength);
            session.JournalFormat = contents.Format;
            session.JournalLength = contents.HeaderLength;
            ApplyRecords(files, session, contents);
            session.JournalCapacity = journal.Length;
            return session;
        }

        /// <summary>The snapshot alone, its journal ignored (Repair salvages the journal itself).</summary>
        internal BatchSession ReadSnapshotOnly(BatchFiles files)
        {
            byte[] bytes = Guard(files.Snapshot, "read", () => _parts.Fs.ReadAllBytes(files.Snapshot));
            var batch = BatchDocument.Deserialize(bytes, files.Snapshot, files.Id, _parts.Options.Migrator, out var version, out var mark);
            return new BatchSession(batch, mark, bytes.Length, version, version < _parts.Options.Migrator.Current ? bytes : null);
        }

        /// <summary>
        /// Brings a cached session up to date with what other processes wrote since, reading only
        /// the snapshot's first bytes and, through the journal handle the append will use, the
        /// journal's header and whatever follows our last record. False when the files changed in a
        /// way that needs a full reload (a fold, a replacement, a removal).
        /// </summary>
        internal bool CatchUp(BatchFiles files, BatchSession session)
        {
            if (session.JournalHeader == null) return false;
            byte[] prefix;
            try
            {
                prefix = _parts.Fs.ReadRange(files.Snapshot, 0, BatchDocument.MarkPrefixLength);
                session.OpenJournal = _parts.Fs.OpenWrite(files.Journal);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return false;
            }
            var mark = BatchDocument.TryReadMark(prefix);
            if (mark == null || mark.Value.Generation != session.Mark.Generation || mark.Value.Sequence != session.Mark.Sequence) return false;
            // The same mark, but the file changed (an edit by hand, a restore, damage): read it again, never write over it.
            if (session.SnapshotStamp == null || !session.SnapshotStamp.Equals(_parts.Fs.Stamp(files.Snapshot)))
            {
                _parts.Options.Trace?.Invoke($"'{files.Snapshot}' changed since this process last read or wrote it: reading it again.");
                return false;
            }

            var journal = session.OpenJournal;
            var header = new byte[session.JournalHeader.Length];
            if (Guard(files.Journal, "read", () => journal.ReadAt(0, header, 0, header.Length)) != header.Length || !Same(header, session.JournalHeader)) return false;
            // Records are written in place over zeros: a non-zero byte where ours end means news.
            var next = new byte[1];
            if (Guard(files.Journal, "read", () => journal.ReadAt(session.JournalLength, next, 0, 1)) == 0 || next[0] == 0) return true;

            long tailLength = Guard(files.Journal, "read", () => journal.Length) - session.JournalLength;
            if (tailLength <= 0 || tailLength > int.MaxValue) return false;
            var tail = new byte[tailLength];
            int got = Guard(files.Journal, "read", () => journal.ReadAt(session.JournalLength, tail, 0, tail.Length));
            if (got < tail.Length) Array.Resize(ref tail, got);
            var contents = JournalCodec.DecodeTail(tail, session.JournalLength, files.Journal, session.JournalFormat);
            ApplyRecords(files, session, contents);
            _parts.Options.Trace?.Invoke($"Caught up with {contents.Records.Count} record(s) other writers added to '{files.Journal}'.");
            return true;
        }

        private static void ApplyRecords(BatchFiles files, BatchSession session, JournalContents contents)
        {
            foreach (var record in contents.Records)
            {
                if (record.Sequence != session.LastSequence + 1)
                    throw new StateFileCorruptException(files.Journal, record.Offset,
                        $"record {record.Sequence} follows record {session.LastSequence}: records are missing or repeated.");
                try
                {
                    record.ApplyTo(session.Batch, files.Snapshot);
                }
                catch (StateException e)
                {
                    throw new StateFileCorruptException(files.Journal, record.Offset, $"record {record.Sequence} cannot be applied: {e.Message}", e);
                }
                session.LastSequence = record.Sequence;
            }
            session.JournalLength = contents.ValidLength;
            session.TornAt = contents.TornAt;
            session.DirtyEnd = contents.DirtyEnd;
            session.JournalCapacity = Math.Max(session.JournalCapacity, contents.Capacity);
        }

        private byte[] ReadPrefixOrEmpty(string path)
        {
            try
            {
                return _parts.Fs.ReadRange(path, 0, BatchDocument.MarkPrefixLength);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return new byte[0];
            }
        }

        private static byte[] Slice(byte[] bytes, long length)
        {
            var slice = new byte[length];
            Buffer.BlockCopy(bytes, 0, slice, 0, (int)length);
            return slice;
        }

        private static bool Same(byte[] a, byte[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }
    }
}
