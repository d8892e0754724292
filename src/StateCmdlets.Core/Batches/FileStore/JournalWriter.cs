using System;
using System.Diagnostics;
using System.IO;
using StateCmdlets.Core.Storage;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// Writing the journal B.journal: a new one (header, then zeros allocated ahead), and records
    /// written in place over those zeros, each flushed to disk before the call returns.
    /// </summary>
    internal sealed class JournalWriter
    {
        /// <summary>Zeros allocated ahead in the journal, so records are written in place (about 500 records' worth).</summary>
        internal const int Room = 64 * 1024;


        private readonly FileStoreParts _parts;

        internal JournalWriter(FileStoreParts parts) => _parts = parts;

        /// <summary>
        /// Whether a record may be appended to the journal on disk as it is. Not when the snapshot
        /// is older or has no journal, nor when the journal is missing or stale (a crash between a
        /// snapshot and its journal): then a fold must come first, so the backup and the journal
        /// share the snapshot's generation (rare, so its cost is no matter).
        /// </summary>
        internal bool CanAppend(BatchSession session) =>
            session.Mark.Generation != null && !(session.FileVersion < _parts.Options.Migrator.Current) && session.JournalHeader != null;

        /// <summary>A new journal, atomically: its header line, then zeros the next records are written over.</summary>
        internal void Start(BatchFiles files, BatchSession session, string generation)
        {
            session.CloseJournal(); // it is about to be replaced
            byte[] header = JournalCodec.EncodeHeader(files.Id, generation);
            var content = new byte[Math.Max(header.Length, Room)];
            Buffer.BlockCopy(header, 0, content, 0, header.Length);
            Guard(files.Journal, "write", () => AtomicFile.Write(_parts.Fs, files.Journal, content));
            session.JournalHeader = header;
            session.JournalFormat = JournalCodec.Format;
            session.JournalLength = header.Length;
            session.DirtyEnd = header.Length;
            session.JournalCapacity = content.Length;
            session.TornAt = null;
        }

        /// <summary>
        /// Adds one record after the last one, in memory: <see cref="Flush"/> writes every staged
        /// record at once, so concurrent writers share one write and one fsync (group commit).
        /// </summary>
        internal void Stage(BatchSession session, Func<long, byte[]> encode)
        {
            long sequence = session.LastSequence + 1;
            byte[] line = encode(sequence);
            if (session.Staged == null)
            {
                session.Staged = new MemoryStream();
                session.StagedFrom = session.JournalLength;
            }
            session.Staged.Write(line, 0, line.Length);
            session.LastSequence = sequence;
            session.JournalLength += line.Length;
        }

        /// <summary>
        /// Writes the staged records where the last written one ends, over the zeros allocated ahead
        /// (no change of file size, so the fsync costs the least), clearing any leftovers of a torn
        /// write after them, growing the file by a chunk of zeros when the room runs out; then
        /// flushes to disk. Returns how many bytes it wrote (0: nothing was staged).
        /// </summary>
        internal int Flush(BatchFiles files, BatchSession session)
        {
            if (session.Staged == null) return 0;
            var clock = Stopwatch.StartNew();
            byte[] lines = session.Staged.ToArray();
            long position = session.StagedFrom;
            session.Staged = null;
            long end = position + lines.Length;
            long writeTo = Math.Max(end, session.DirtyEnd);
            long capacity = session.JournalCapacity;
            if (end > capacity) writeTo = capacity = end + Room;
            var buffer = new byte[writeTo - position];
            Buffer.BlockCopy(lines, 0, buffer, 0, lines.Length);
            Guard(files.Journal, "write to", () =>
            {
                var journal = session.OpenJournal ??= _parts.Fs.OpenWrite(files.Journal);
                try
                {
                    journal.WriteAt(position, buffer, 0, buffer.Length);
                    journal.Flush();
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    // Not acknowledged, so they must not appear later either: take them back if we can.
                    try { journal.WriteAt(position, new byte[lines.Length], 0, lines.Length); }
                    catch (IOException) { /* the next writer finds them torn or whole; the failure is reported either way */ }
                    throw;
                }
            });
            session.DirtyEnd = end;
            session.JournalCapacity = Math.Max(capacity, writeTo);
            session.TornAt = null;
            _parts.Options.Trace?.Invoke($"Wrote record(s) up to {session.LastSequence} to '{files.Journal}' ({lines.Length} bytes, fsynced) in {clock.Elapsed.TotalMilliseconds:0.00} ms.");
            return lines.Length;
        }
    }
}
