namespace StateCmdlets.Core.Batches
{
    /// <summary>What recording a result left: the feature as recorded and where the batch stands.</summary>
    internal sealed class RecordOutcome
    {
        internal RecordOutcome(Feature feature, Batch batch)
        {
            Feature = feature;
            Total = batch.Total;
            Remaining = batch.RemainingCount(includeFailed: true);
            Suspended = batch.IsSuspended;
        }

        /// <summary>For a store that counts in place instead of holding the whole batch in memory.</summary>
        internal RecordOutcome(Feature feature, int total, int remaining, bool suspended)
        {
            Feature = feature;
            Total = total;
            Remaining = remaining;
            Suspended = suspended;
        }

        public Feature Feature { get; }

        public int Total { get; }

        /// <summary>Features still to do (pending, or failed with attempts left).</summary>
        public int Remaining { get; }

        /// <summary>The batch's breaker is open after this result (too many failures in a row).</summary>
        public bool Suspended { get; }
    }
}
