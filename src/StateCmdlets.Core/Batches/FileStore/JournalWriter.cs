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

        private readonly IFileSystem _fs;
        private readonly FileStoreOptions _options;

        internal JournalWriter(IFileSystem fs, FileStoreOptions options)
        {
            _fs = fs;
            _options = options;
        }

        /// <summary>
        /// Whether a record may be appended to the journal on disk as it is. Not when the snapshot
        /// is older or has no journal, nor when the journal is missing or stale (a crash between a
        /// snapshot and its journal): then a fold must come first, so the backup and the journal
        /// share the snapshot's generation (rare, so its cost is no matter).
        /// </summary>
        internal bool CanAppend(BatchSession session) =>
            session.Mark.Generation != null && !(session.FileVersion < _options.Migrator.Current) && session.JournalHeader != null;

        /// <summary>A new journal, atomically: its header line, then zeros the next records are written over.</summary>
        internal void Start(BatchFiles files, BatchSession session, string generation)
        {
            session.CloseJournal(); // it is about to be replaced
            byte[] header = JournalCodec.EncodeHeader(files.Id, generation);
            var content = new byte[Math.Max(header.Length, Room)];
            Buffer.BlockCopy(header, 0, content, 0, header.Length);
            Guard(files.Journal, "write", () => AtomicFile.Write(_fs, files.Journal, content));
            session.JournalHeader = header;
            session.JournalLength = header.Length;
            session.DirtyEnd = header.Length;
            session.JournalCapacity = content.Length;
            session.TornAt = null;
        }

        /// <summary>
        /// Writes one record where the last one ends, over the zeros allocated ahead (no change of
        /// file size, so the fsync costs the least), clearing any leftovers of a torn write after it,
        /// and growing the file by a chunk of zeros when the room runs out.
        /// </summary>
        internal void Append(BatchFiles files, BatchSession session, Func<long, byte[]> encode)
        {
            var clock = Stopwatch.StartNew();
            long sequence = session.LastSequence + 1;
            byte[] line = encode(sequence);
            long position = session.JournalLength;
            long end = position + line.Length;
            long writeTo = Math.Max(end, session.DirtyEnd);
            long capacity = session.JournalCapacity;
            if (end > capacity) writeTo = capacity = end + Room;
            var buffer = new byte[writeTo - position];
            Buffer.BlockCopy(line, 0, buffer, 0, line.Length);
            Guard(files.Journal, "write to", () =>
            {
                var journal = session.OpenJournal ??= _fs.OpenWrite(files.Journal);
                try
                {
                    journal.WriteAt(position, buffer, 0, buffer.Length);
                    journal.Flush();
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    // Not acknowledged, so it must not appear later either: take it back if we can.
                    try { journal.WriteAt(position, new byte[line.Length], 0, line.Length); }
                    catch (IOException) { /* the next writer finds it torn or whole; the failure is reported either way */ }
                    throw;
                }
            });
            session.LastSequence = sequence;
            session.JournalLength = end;
            session.DirtyEnd = end;
            session.JournalCapacity = Math.Max(capacity, writeTo);
            session.TornAt = null;
            _options.Trace?.Invoke($"Wrote record {sequence} to '{files.Journal}' ({line.Length} bytes, fsynced) in {clock.Elapsed.TotalMilliseconds:0.00} ms.");
        }
    }
}
