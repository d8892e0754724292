using System;
using System.Linq;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Storage;

namespace StateCmdlets
{
    /// <summary>A batch as the cmdlets show it, as it was when read; counters are derived from the features.</summary>
    public sealed class BatchState
    {
        internal BatchState(Batch batch, BatchFiles files)
        {
            BatchId = batch.BatchId;
            Name = batch.Name;
            Status = batch.Status;
            Total = batch.Total;
            Completed = batch.Completed;
            Failed = batch.Failed;
            Skipped = batch.Skipped;
            Pending = batch.Pending;
            CreatedAt = batch.CreatedAt;
            UpdatedAt = batch.UpdatedAt;
            MaxAttempts = batch.MaxAttempts;
            SchemaVersion = batch.SchemaVersion.ToString();
            StateDirectory = files.Directory;
            Path = files.Snapshot;
            Features = batch.Features.Select(f => new FeatureState(batch.BatchId, files.Directory, f)).ToArray();
        }

        public string BatchId { get; }

        public string Name { get; }

        public BatchStatus Status { get; }

        public int Total { get; }

        public int Completed { get; }

        public int Failed { get; }

        public int Skipped { get; }

        public int Pending { get; }

        public DateTime CreatedAt { get; }

        public DateTime UpdatedAt { get; }

        public int MaxAttempts { get; }

        public string SchemaVersion { get; }

        public FeatureState[] Features { get; }

        public string StateDirectory { get; }

        /// <summary>The snapshot file, B.json.</summary>
        public string Path { get; }

        public override string ToString() => BatchId;
    }
}
