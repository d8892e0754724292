using System.Collections.Generic;
using System.Threading;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// A store that records several results of one batch in a single write and flush when asked
    /// for them at once (the file store's group commit), so <see cref="ResultGroup"/> needs no
    /// thread per result to make them meet there.
    /// </summary>
    internal interface IGroupCommitStore
    {
        /// <summary>
        /// Records every result; returns, in the same order, each one's outcome or the
        /// <see cref="StateException"/> that refused it, as one <see cref="IBatchStore.Record"/> each would.
        /// Ctrl+C before they were written throws <see cref="System.OperationCanceledException"/>.
        /// </summary>
        IReadOnlyList<RecordedResult> RecordTogether(string batchId, IReadOnlyList<FeatureResult> results, CancellationToken cancellationToken);
    }
}
