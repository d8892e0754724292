using System;
using System.Collections.Specialized;
using System.Linq;
using StateCmdlets.Core.Batches;

namespace StateCmdlets
{
    /// <summary>A batch as the cmdlets show it, as it was when read; counters are derived from the features.</summary>
    public sealed class BatchState
    {
        private readonly System.Text.Json.JsonElement? _extensions;

        internal BatchState(Batch batch, IBatchStore store)
        {
            BatchId = batch.BatchId;
            Name = batch.Name;
            Status = batch.Status;
            Total = batch.Total;
            Completed = batch.Completed;
            Failed = batch.Failed;
            Skipped = batch.Skipped;
            Pending = batch.Pending;
            InProgress = batch.InProgressAt(DateTime.UtcNow);
            Lease = batch.Settings.Lease;
            CreatedAt = batch.CreatedAt;
            UpdatedAt = batch.UpdatedAt;
            MaxAttempts = batch.MaxAttempts;
            MaxConsecutiveFailures = batch.Settings.MaxConsecutiveFailures;
            ConsecutiveFailures = batch.ConsecutiveFailures;
            RetryDelay = batch.Settings.RetryDelay;
            MaxRetryDelay = batch.Settings.MaxRetryDelay;
            PermanentErrorTypes = batch.Settings.PermanentErrorTypes.ToArray();
            ContextTokens = batch.ContextTokens;
            ContextTokenLimit = batch.Settings.ContextTokenLimit;
            ShouldClearContext = batch.ShouldClearContext;
            ContextClears = batch.ContextClears.Count;
            ContextClearEvents = batch.ContextClears.ToArray();
            CheckpointCount = batch.CheckpointCount;
            LastCheckpointAt = batch.LastCheckpointAt;
            _extensions = batch.Extensions;
            SchemaVersion = batch.SchemaVersion.ToString();
            Store = store.Location;
            StateDirectory = FeatureState.DirectoryOf(store);
            Path = store.Address(batch.BatchId);
            Features = batch.Features.Select(f => new FeatureState(batch.BatchId, store, f)).ToArray();
            DependsOn = new OrderedDictionary(StringComparer.Ordinal);
            foreach (var feature in batch.Features.Where(f => f.DependsOn.Count > 0)) DependsOn[feature.Name] = feature.DependsOn.ToArray();
        }

        public string BatchId { get; }

        public string Name { get; }

        public BatchStatus Status { get; }

        public int Total { get; }

        public int Completed { get; }

        public int Failed { get; }

        public int Skipped { get; }

        public int Pending { get; }

        /// <summary>Features some worker has claimed and is working on now (its lease holds).</summary>
        public int InProgress { get; }

        /// <summary>How long a claim holds without a heartbeat (New-BatchState -LeaseSeconds).</summary>
        public TimeSpan Lease { get; }

        public DateTime CreatedAt { get; }

        public DateTime UpdatedAt { get; }

        public int MaxAttempts { get; }

        /// <summary>Failures in a row that suspend the batch (0: never).</summary>
        public int MaxConsecutiveFailures { get; }

        /// <summary>Failures recorded in a row since the last success (or Resume-BatchState -Reset).</summary>
        public int ConsecutiveFailures { get; }

        /// <summary>Wait before the first retry of a failure, doubled per attempt.</summary>
        public TimeSpan RetryDelay { get; }

        /// <summary>The cap of that wait.</summary>
        public TimeSpan MaxRetryDelay { get; }

        /// <summary>Exception types (New-BatchState -PermanentErrorType) whose failures are never retried.</summary>
        public string[] PermanentErrorTypes { get; }

        /// <summary>Tokens recorded (Set-FeatureResult -ContextTokens) since the context was last cleared.</summary>
        public long ContextTokens { get; }

        public long ContextTokenLimit { get; }

        /// <summary>ContextTokens reached ContextTokenLimit: clear the context, then Reset-BatchContext.</summary>
        public bool ShouldClearContext { get; }

        /// <summary>How often the context was cleared (Reset-BatchContext).</summary>
        public int ContextClears { get; }

        /// <summary>Each clear of the context: when, and the tokens reached before it.</summary>
        public ContextClear[] ContextClearEvents { get; }

        public int CheckpointCount { get; }

        public DateTime? LastCheckpointAt { get; }

        /// <summary>Fields of an imported file that have no place in this model, kept verbatim.</summary>
        public object? Extensions => _extensions.HasValue ? PowerShellJson.FromJsonLenient(_extensions.Value) : null;

        public string SchemaVersion { get; }

        public FeatureState[] Features { get; }

        /// <summary>
        /// Who depends on whom (feature name to the names it waits for), as New-BatchState -DependsOn
        /// takes it; here as well as on each feature so that `ConvertTo-Json` at its default depth keeps it.
        /// </summary>
        public OrderedDictionary DependsOn { get; }

        /// <summary>
        /// The store the batch is in: its state directory, or its PostgreSQL database as
        /// postgresql://host:port/database?schema=name (never a user or password). Piped on, it binds -Store.
        /// </summary>
        public string Store { get; }

        /// <summary>The state directory of a batch in the file store; null for one in PostgreSQL.</summary>
        public string? StateDirectory { get; }

        /// <summary>Where the batch lives: its snapshot file, B.json; in PostgreSQL, the store's location and #id.</summary>
        public string Path { get; }

        public override string ToString() => BatchId;
    }
}
