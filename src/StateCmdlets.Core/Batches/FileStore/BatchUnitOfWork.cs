using System;
using System.Collections.Generic;
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

        private readonly FileStoreParts _parts;

        internal BatchUnitOfWork(FileStoreParts parts) => _parts = parts;

        /// <summary>Takes the batch's lock (waiting up to the lock timeout; Ctrl+C stops the wait).</summary>
        internal ILockHandle Lock(BatchFiles files, CancellationToken cancellationToken)
        {
            var held = Guard(files.Lock, "lock", () => _parts.Fs.AcquireLock(files.Lock, _parts.Options.LockTimeout, cancellationToken));
            try
            {
                _parts.Options.Trace?.Invoke($"Locked '{files.Lock}' after {held.Waited.TotalMilliseconds:0.0} ms.");
            }
            catch
            {
                // Not returned, never disposed: the lock would stay held by this process for good.
                held.Dispose();
                throw;
            }
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
            var session = WriterSessions.Take(_parts.Fs, _parts.Options.Migrator, files.Snapshot);
            WriterSessions.Forget(_parts.Fs, _parts.Options.Migrator, files.Snapshot);
            try
            {
                if (session == null || !_parts.Reader.CatchUp(files, session))
                {
                    session?.CloseJournal();
                    session = _parts.Reader.ReadOnce(files);
                }
                T result;
                try
                {
                    result = change(session);
                }
                catch (Exception e) when (e is FeatureNotFoundException || e is InvalidFeatureResultException)
                {
                    // Refused before anything changed: the session is still exact.
                    WriterSessions.Keep(_parts.Fs, _parts.Options.Migrator, files.Snapshot, session);
                    throw;
                }
                WriterSessions.Keep(_parts.Fs, _parts.Options.Migrator, files.Snapshot, session);
                return result;
            }
            finally
            {
                // Never held past the lock: another process may replace the journal next.
                session?.CloseJournal();
            }
        }

        /// <summary>
        /// Runs a change that only stages records (see <see cref="Stage"/>) in the batch's commit
        /// group: changes of other threads waiting at the same time run under the same lock, and one
        /// write and one fsync cover all of their records. Returns after that fsync. A fold follows
        /// when a change asked for one or the journal outgrew the snapshot.
        /// </summary>
        internal T Commit<T>(BatchFiles files, CancellationToken cancellationToken, Func<BatchSession, T> change)
        {
            var group = CommitGroup.For(_parts.Fs, _parts.Options.Migrator, files.Snapshot);
            return group.Run(change, LeadGroup(files, cancellationToken), cancellationToken);
        }

        /// <summary>
        /// Several changes of one caller, as <see cref="Commit"/> runs one: all in the same group
        /// (one write, one fsync), each done with its own result or the exception that refused it.
        /// </summary>
        internal IReadOnlyList<CommitGroup.Change> CommitAll<T>(BatchFiles files, CancellationToken cancellationToken, IReadOnlyList<Func<BatchSession, T>> changes)
        {
            var group = CommitGroup.For(_parts.Fs, _parts.Options.Migrator, files.Snapshot);
            return group.RunAll(changes, LeadGroup(files, cancellationToken), cancellationToken);
        }

        /// <summary>What the leader of a group does: under the lock, every waiting change on the session, one write and fsync, a fold if due.</summary>
        private Action<Func<IReadOnlyList<CommitGroup.Change>>> LeadGroup(BatchFiles files, CancellationToken cancellationToken)
        {
            return take =>
            {
                using (Lock(files, cancellationToken))
                {
                    var changes = take();
                    WithSession(files, session =>
                    {
                        foreach (var each in changes) each.TryApply(session);
                        _parts.Journal.Flush(files, session);
                        if (session.FoldRequested || _parts.Snapshots.JournalOutgrown(session)) _parts.Snapshots.Fold(files, session);
                        foreach (var each in changes) if (!each.Done) each.Succeed();
                        return true;
                    });
                }
            };
        }

        /// <summary>
        /// Stages one record for the commit that runs this change (folding first, once, when the
        /// journal on disk cannot take records as it is: an older snapshot, a missing or stale journal).
        /// </summary>
        internal void Stage(BatchFiles files, BatchSession session, Func<long, byte[]> encode)
        {
            if (!_parts.Journal.CanAppend(session)) _parts.Snapshots.Fold(files, session);
            _parts.Journal.Stage(session, encode);
        }

        /// <summary>Drops the cached session (before a replacement, a removal or a repair).</summary>
        internal void Forget(BatchFiles files) => WriterSessions.Forget(_parts.Fs, _parts.Options.Migrator, files.Snapshot);
    }
}
