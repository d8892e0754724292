using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Records several results of one batch at the same moment, so they share the store's write
    /// and flush (its group commit) instead of one flush after the other: a run whose items end
    /// together (Invoke-Batch's workers) pays one flush for all of them. A store that takes them
    /// at once (<see cref="IGroupCommitStore"/>, the file store) gets them in one call; any other
    /// store gets each on a thread of its own. Each result is recorded or refused on its own, as
    /// with one call each.
    /// </summary>
    internal sealed class ResultGroup
    {
        private readonly IBatchStore _store;
        private readonly Func<IBatchStore> _moreStores;
        private readonly List<IBatchStore> _helpers = new List<IBatchStore>();

        /// <param name="store">The store the first result of each group is recorded with, on the calling thread.</param>
        /// <param name="moreStores">Makes a store for the other threads (one that may be called from any thread), at most one per thread, kept for later groups.</param>
        internal ResultGroup(IBatchStore store, Func<IBatchStore> moreStores)
        {
            _store = store;
            _moreStores = moreStores;
        }

        /// <summary>
        /// Records every result; returns, in the same order, each one's outcome or the
        /// <see cref="StateException"/> that refused it. Ctrl+C (<paramref name="cancellationToken"/>)
        /// throws once every call has ended, whatever each one did.
        /// </summary>
        internal IReadOnlyList<RecordedResult> Record(string batchId, IReadOnlyList<FeatureResult> results, CancellationToken cancellationToken)
        {
            // A store that takes them at once needs no threads (nor their start-up, which can miss the group under load).
            if (_store is IGroupCommitStore together && results.Count > 1) return RecordTogether(together, batchId, results, cancellationToken);
            var recorded = new RecordedResult[results.Count];
            while (_helpers.Count < results.Count - 1) _helpers.Add(_moreStores());
            var others = new Task[results.Count - 1];
            for (int i = 1; i < results.Count; i++)
            {
                int index = i;
                var helper = _helpers[i - 1];
                others[i - 1] = Task.Run(() => recorded[index] = RecordOne(helper, batchId, results[index], cancellationToken), CancellationToken.None);
            }
            if (results.Count > 0) recorded[0] = RecordOne(_store, batchId, results[0], cancellationToken);
            Task.WaitAll(others);
            cancellationToken.ThrowIfCancellationRequested();
            return recorded;
        }

        private static IReadOnlyList<RecordedResult> RecordTogether(IGroupCommitStore store, string batchId, IReadOnlyList<FeatureResult> results, CancellationToken cancellationToken)
        {
            IReadOnlyList<RecordedResult> recorded;
            try
            {
                recorded = store.RecordTogether(batchId, results, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // None was taken: none recorded.
                recorded = results.Select(r => new RecordedResult(r, null, null)).ToList();
            }
            cancellationToken.ThrowIfCancellationRequested();
            return recorded;
        }

        private static RecordedResult RecordOne(IBatchStore store, string batchId, FeatureResult result, CancellationToken cancellationToken)
        {
            try
            {
                return new RecordedResult(result, store.Record(batchId, result, cancellationToken), null);
            }
            catch (StateException e)
            {
                return new RecordedResult(result, null, e);
            }
            catch (OperationCanceledException)
            {
                return new RecordedResult(result, null, null);
            }
        }
    }

    /// <summary>One result of a <see cref="ResultGroup"/>: recorded (its outcome), refused (the error), or neither (Ctrl+C came first).</summary>
    internal sealed class RecordedResult
    {
        internal RecordedResult(FeatureResult result, RecordOutcome? outcome, StateException? error)
        {
            Result = result;
            Outcome = outcome;
            Error = error;
        }

        internal FeatureResult Result { get; }

        internal RecordOutcome? Outcome { get; }

        internal StateException? Error { get; }
    }
}
