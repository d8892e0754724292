using System;
using System.Linq;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Storage;

namespace StateCmdlets
{
    /// <summary>A batch as the cmdlets show it; counters are derived from the features.</summary>
    public sealed class BatchState
    {
        private readonly Batch _batch;

        internal BatchState(Batch batch, BatchFiles files)
        {
            _batch = batch;
            StateDirectory = files.Directory;
            Path = files.Snapshot;
            Features = batch.Features.Select(f => new FeatureState(batch.BatchId, files.Directory, f)).ToArray();
        }

        public string BatchId => _batch.BatchId;

        public string Name => _batch.Name;

        public BatchStatus Status => _batch.Status;

        public int Total => _batch.Total;

        public int Completed => _batch.Completed;

        public int Failed => _batch.Failed;

        public int Skipped => _batch.Skipped;

        public int Pending => _batch.Pending;

        public DateTime CreatedAt => _batch.CreatedAt;

        public DateTime UpdatedAt => _batch.UpdatedAt;

        public int MaxAttempts => _batch.MaxAttempts;

        public string SchemaVersion => _batch.SchemaVersion.ToString();

        public FeatureState[] Features { get; }

        public string StateDirectory { get; }

        /// <summary>The snapshot file, B.json.</summary>
        public string Path { get; }

        public override string ToString() => BatchId;
    }
}
