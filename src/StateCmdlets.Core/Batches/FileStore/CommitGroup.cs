using System;
using System.Collections.Generic;
using System.Threading;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// Group commit for the writers of one batch in this process (threads, runspaces of
    /// ForEach-Object -Parallel), as LevelDB's and RocksDB's writers do: a writer that arrives while
    /// another is writing waits; the next leader takes the lock once and runs every waiting change,
    /// all covered by one write and one fsync; each caller returns only after the fsync that covers
    /// its own record, with its own outcome (a refused change fails alone).
    /// </summary>
    internal sealed class CommitGroup
    {
        private static readonly Dictionary<BatchFileKey, CommitGroup> Groups = new Dictionary<BatchFileKey, CommitGroup>();

        private readonly object _gate = new object();
        private readonly List<Change> _waiting = new List<Change>();
        private bool _leading;

        /// <summary>The group of one batch snapshot, shared by every store in the process on the same disk.</summary>
        internal static CommitGroup For(IFileSystem fs, SchemaMigrator migrator, string snapshotPath)
        {
            var key = new BatchFileKey(fs, migrator, snapshotPath);
            lock (Groups)
            {
                if (!Groups.TryGetValue(key, out var group)) Groups[key] = group = new CommitGroup();
                return group;
            }
        }

        /// <summary>
        /// Runs <paramref name="change"/> in the next group. <paramref name="lead"/> runs a group:
        /// once it holds the batch's lock it takes every waiting change (the function it is given)
        /// and completes each one, or throws for all of them.
        /// </summary>
        internal T Run<T>(Func<BatchSession, T> change, Action<Func<IReadOnlyList<Change>>> lead, CancellationToken cancellationToken)
        {
            var mine = new Change(session => change(session)!);
            Enter(new[] { mine }, lead, cancellationToken);
            if (mine.Error != null) throw Rethrowable(mine.Error);
            return (T)mine.Result!;
        }

        /// <summary>
        /// Runs several changes of one caller in the same group (one write, one fsync for all),
        /// and returns them done: each with its own result, or the exception that refused or
        /// failed it. Ctrl+C before they were taken throws and runs none of them.
        /// </summary>
        internal IReadOnlyList<Change> RunAll<T>(IReadOnlyList<Func<BatchSession, T>> changes, Action<Func<IReadOnlyList<Change>>> lead, CancellationToken cancellationToken)
        {
            var mine = new Change[changes.Count];
            for (int i = 0; i < mine.Length; i++)
            {
                var change = changes[i];
                mine[i] = new Change(session => change(session)!);
            }
            if (mine.Length > 0) Enter(mine, lead, cancellationToken);
            return mine;
        }

        /// <summary>Waits while another caller leads a group (which may take these changes); leads the next group otherwise.</summary>
        private void Enter(IReadOnlyList<Change> mine, Action<Func<IReadOnlyList<Change>>> lead, CancellationToken cancellationToken)
        {
            // A leader takes every waiting change at once, so these are taken all together or not at all.
            var first = mine[0];
            lock (_gate)
            {
                _waiting.AddRange(mine);
                while (_leading && !first.Done)
                {
                    Monitor.Wait(_gate, 50);
                    if (cancellationToken.IsCancellationRequested && !first.Taken)
                    {
                        foreach (var change in mine) _waiting.Remove(change);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }
                if (!first.Done) _leading = true;
            }
            if (!first.Done) Lead(mine, lead);
        }

        private void Lead(IReadOnlyList<Change> mine, Action<Func<IReadOnlyList<Change>>> lead)
        {
            List<Change>? taken = null;
            try
            {
                lead(() => taken = TakeAll());
                foreach (var change in mine) if (!change.Done) change.Fail(new InvalidOperationException("The group ended without running this change."));
            }
            catch (Exception e) when (taken == null)
            {
                // Failed before taking anyone's change (the lock timed out, Ctrl+C): only this caller's fail.
                lock (_gate) foreach (var change in mine) _waiting.Remove(change);
                foreach (var change in mine) change.Fail(e);
            }
            catch (Exception e)
            {
                foreach (var change in taken!) if (!change.Done) change.Fail(e);
            }
            finally
            {
                lock (_gate)
                {
                    _leading = false;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        private List<Change> TakeAll()
        {
            lock (_gate)
            {
                var all = new List<Change>(_waiting);
                _waiting.Clear();
                foreach (var change in all) change.Taken = true;
                return all;
            }
        }

        internal static Exception Rethrowable(Exception e) => e is StateException || e is OperationCanceledException ? e : new InvalidOperationException("A grouped write failed.", e);

        /// <summary>One caller's change and, once its group has run, its outcome.</summary>
        internal sealed class Change
        {
            private readonly Func<BatchSession, object> _run;

            internal Change(Func<BatchSession, object> run) => _run = run;

            internal bool Taken { get; set; }

            internal bool Done { get; private set; }

            internal object? Result { get; private set; }

            internal Exception? Error { get; private set; }

            /// <summary>Runs the change on the session (records staged, not written); a refusal is kept as this change's own outcome.</summary>
            internal bool TryApply(BatchSession session)
            {
                try
                {
                    Result = _run(session);
                    return true;
                }
                catch (StateException e) when (!(e is StateIOException))
                {
                    // A refusal (unknown feature, lost claim, ...): nothing of it was staged, the others go on.
                    Fail(e);
                    return false;
                }
            }

            internal void Succeed() => Done = true;

            internal void Fail(Exception e)
            {
                Error = e;
                Done = true;
            }
        }
    }
}
