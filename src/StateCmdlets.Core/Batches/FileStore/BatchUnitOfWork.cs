using System;
using System.Threading;
using StateCmdlets.Core.Storage;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// Where the lock is taken: every change to a batch runs as one unit of work under B.lock, on
    /// the batch's writer session (cached from the last change, caught up with what other processes
    /// wrote since, or read afresh).
    /// </summary>
    internal sealed class BatchUnitOfWork
    {
        private readonly IFileSystem _fs;
        private readonly FileStoreOptions _options;
        private readonly BatchReader _reader;
        private readonly JournalWriter _journal;
        private readonly SnapshotWriter _snapshots;

        internal BatchUnitOfWork(IFileSystem fs, FileStoreOptions options, BatchReader reader, JournalWriter journal, SnapshotWriter snapshots)
        {
            _fs = fs;
            _options = options;
            _reader = reader;
            _journal = journal;
            _snapshots = snapshots;
        }

        /// <summary>Takes the batch's lock (waiting up to the lock timeout; Ctrl+C stops the wait).</summary>
        internal ILockHandle Lock(BatchFiles files, CancellationToken cancellationToken)
        {
            var held = Guard(files.Lock, "lock", () => _fs.AcquireLock(files.Lock, _options.LockTimeout, cancellationToken));
            _options.Trace?.Invoke($"Locked '{files.Lock}' after {held.Waited.TotalMilliseconds:0.0} ms.");
            return held;
        }

        /// <summary>Runs a change under the lock on the batch's writer session.</summary>
        internal T Run<T>(BatchFiles files, CancellationToken cancellationToken, Func<BatchSession, T> change)
        {
            using (Lock(files, cancellationToken))
                return WithSession(files, change);
        }

        /// <summary>
        /// Runs a change on the batch's writer session (cached, or loaded), keeping it for the next
        /// call only if the change succeeded: after any failure the next call reloads from disk.
        /// The caller holds the lock.
        /// </summary>
        internal T WithSession<T>(BatchFiles files, Func<BatchSession, T> change)
        {
            var session = WriterSessions.Take(_fs, _options.Migrator, files.Snapshot);
            WriterSessions.Forget(_fs, _options.Migrator, files.Snapshot);
            try
            {
                if (session == null || !_reader.CatchUp(files, session))
                {
                    session?.CloseJournal();
                    session = _reader.ReadOnce(files);
                }
                T result;
                try
                {
                    result = change(session);
                }
                catch (Exception e) when (e is FeatureNotFoundException || e is InvalidFeatureResultException)
                {
                    // Refused before anything changed: the session is still exact.
                    WriterSessions.Keep(_fs, _options.Migrator, files.Snapshot, session);
                    throw;
                }
                WriterSessions.Keep(_fs, _options.Migrator, files.Snapshot, session);
                return result;
            }
            finally
            {
                // Never held past the lock: another process may replace the journal next.
                session?.CloseJournal();
            }
        }

        /// <summary>Appends one record (folding first when the journal on disk cannot take it as it is).</summary>
        internal void Append(BatchFiles files, BatchSession session, Func<long, byte[]> encode)
        {
            if (!_journal.CanAppend(session)) _snapshots.Fold(files, session);
            _journal.Append(files, session, encode);
        }

        /// <summary>Drops the cached session (before a replacement, a removal or a repair).</summary>
        internal void Forget(BatchFiles files) => WriterSessions.Forget(_fs, _options.Migrator, files.Snapshot);
    }
}
