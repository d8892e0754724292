using System;

namespace StateCmdlets.Core.Batches
{
    /// <summary>The counters of a batch at one moment (cheap to take from a writer session).</summary>
    internal sealed class BatchSummary
    {
        internal BatchSummary(Batch batch)
        {
            BatchId = batch.BatchId;
            Status = batch.Status;
            Total = batch.Total;
            Completed = batch.Completed;
            Failed = batch.Failed;
            Skipped = batch.Skipped;
            Pending = batch.Pending;
            Remaining = batch.RemainingCount(includeFailed: true);
            ConsecutiveFailures = batch.ConsecutiveFailures;
            MaxConsecutiveFailures = batch.Settings.MaxConsecutiveFailures;
            ContextTokens = batch.ContextTokens;
            ShouldClearContext = batch.ShouldClearContext;
            CheckpointCount = batch.CheckpointCount;
        }

        public string BatchId { get; }

        public BatchStatus Status { get; }

        public int Total { get; }

        public int Completed { get; }

        public int Failed { get; }

        public int Skipped { get; }

        public int Pending { get; }

        public int Remaining { get; }

        public int ConsecutiveFailures { get; }

        public int MaxConsecutiveFailures { get; }

        public long ContextTokens { get; }

        public bool ShouldClearContext { get; }

        public int CheckpointCount { get; }
    }
}
