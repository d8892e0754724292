using System;
using System.Collections.Generic;
using System.Text.Json;

namespace StateCmdlets.Core.Batches
{
    /// <summary>One work item of a batch and its outcome so far.</summary>
    internal sealed class Feature
    {
        internal Feature(string name, int index)
        {
            Name = name;
            Index = index;
        }

        public string Name { get; }

        /// <summary>Position in the batch, from 0.</summary>
        public int Index { get; }

        public FeatureStatus Status { get; internal set; }

        /// <summary>Results recorded for this feature (every result counts one attempt).</summary>
        public int Attempts { get; internal set; }

        public string? LastError { get; internal set; }

        public DateTime? CompletedAt { get; internal set; }

        /// <summary>When the last result was recorded.</summary>
        public DateTime? UpdatedAt { get; internal set; }

        /// <summary>The script's own output for this item, as JSON.</summary>
        public JsonElement? Data { get; internal set; }

        /// <summary>The last failure was permanent: the feature is not retried.</summary>
        public bool Permanent { get; internal set; }

        /// <summary>A failed feature is not handed out again before this time (retry backoff).</summary>
        public DateTime? RetryAt { get; internal set; }

        /// <summary>For a feature skipped because a feature it depends on failed for good: that feature.</summary>
        public string? BlockedBy { get; internal set; }

        /// <summary>Skipped because of a dependency: what depends on it is blocked too.</summary>
        internal bool IsBlocked => Status == FeatureStatus.Skipped && BlockedBy != null;

        /// <summary>The fencing token of the last claim on this feature (0: never claimed).</summary>
        public long ClaimToken { get; internal set; }

        /// <summary>Who holds the current claim; null when none does (never claimed, released, or recorded).</summary>
        public WorkerIdentity? ClaimedBy { get; internal set; }

        /// <summary>When the current claim was made.</summary>
        public DateTime? ClaimedAt { get; internal set; }

        /// <summary>When the current claim runs out unless renewed.</summary>
        public DateTime? LeaseExpiresAt { get; internal set; }

        /// <summary>A claim holds at <paramref name="utcNow"/>: made, not released or recorded, its lease not run out.</summary>
        public bool IsClaimedAt(DateTime utcNow) => ClaimedBy != null && LeaseExpiresAt > utcNow;

        /// <summary>Features this one must come after.</summary>
        public IReadOnlyList<string> DependsOn { get; internal set; } = Array.Empty<string>();

        /// <summary>Failed with attempts left and not permanent.</summary>
        internal bool IsRetryable(int maxAttempts) => Status == FeatureStatus.Failed && !Permanent && Attempts < maxAttempts;

        /// <summary>Failed for good: permanent, or out of attempts.</summary>
        internal bool FailedForGood(int maxAttempts) => Status == FeatureStatus.Failed && !IsRetryable(maxAttempts);

        /// <summary>Properties written by a newer minor schema version, kept verbatim on rewrite.</summary>
        internal Dictionary<string, JsonElement>? UnknownProperties { get; set; }

        /// <summary>Ends the current claim (a result recorded, or a release); the token stays, for fencing.</summary>
        internal void EndClaim()
        {
            ClaimedBy = null;
            ClaimedAt = null;
            LeaseExpiresAt = null;
        }

        internal Feature Clone() => new Feature(Name, Index)
        {
            Status = Status,
            Attempts = Attempts,
            LastError = LastError,
            CompletedAt = CompletedAt,
            UpdatedAt = UpdatedAt,
            Data = Data,
            Permanent = Permanent,
            RetryAt = RetryAt,
            BlockedBy = BlockedBy,
            ClaimToken = ClaimToken,
            ClaimedBy = ClaimedBy,
            ClaimedAt = ClaimedAt,
            LeaseExpiresAt = LeaseExpiresAt,
            DependsOn = DependsOn,
            UnknownProperties = UnknownProperties,
        };
    }
}
