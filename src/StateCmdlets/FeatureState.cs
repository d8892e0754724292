using System;
using System.Linq;
using System.Text.Json;
using StateCmdlets.Core.Batches;

namespace StateCmdlets
{
    /// <summary>
    /// One work item as the cmdlets show it. Carries BatchId, Feature and its store (Store, and
    /// StateDirectory for the file store), so piping it into Set-FeatureResult binds them all.
    /// </summary>
    public sealed class FeatureState
    {
        private readonly JsonElement? _data;
        private object? _convertedData;
        private bool _converted;

        /// <param name="claimToken">The token of the claim this feature was handed out under (Resume-BatchState), else null.</param>
        internal FeatureState(string batchId, IBatchStore store, Feature feature, long? claimToken = null)
        {
            Store = store.Location;
            StateDirectory = DirectoryOf(store);
            ClaimToken = claimToken;
            ClaimedBy = feature.ClaimedBy?.ToString();
            LeaseExpiresAt = feature.ClaimedBy != null ? feature.LeaseExpiresAt : null;
            BatchId = batchId;
            Feature = feature.Name;
            Index = feature.Index;
            Status = feature.Status;
            Attempts = feature.Attempts;
            LastError = feature.LastError;
            CompletedAt = feature.CompletedAt;
            Permanent = feature.Permanent;
            RetryAt = feature.RetryAt;
            DependsOn = feature.DependsOn.ToArray();
            UpdatedAt = feature.UpdatedAt;
            _data = feature.Data;
        }

        public string BatchId { get; }

        /// <summary>The feature (work item) name.</summary>
        public string Feature { get; }

        /// <summary>Position in the batch, from 0.</summary>
        public int Index { get; }

        public FeatureStatus Status { get; }

        public int Attempts { get; }

        public string? LastError { get; }

        public DateTime? CompletedAt { get; }

        public DateTime? UpdatedAt { get; }

        /// <summary>The last failure was permanent: never retried.</summary>
        public bool Permanent { get; }

        /// <summary>A failed feature is not handed out again before this time (retry backoff).</summary>
        public DateTime? RetryAt { get; }

        /// <summary>Features this one comes after.</summary>
        public string[] DependsOn { get; }

        /// <summary>The script's own data for this item, as PowerShell objects (converted on first use).</summary>
        public object? Data
        {
            get
            {
                if (!_converted)
                {
                    _convertedData = _data.HasValue ? PowerShellJson.FromJsonLenient(_data.Value) : null;
                    _converted = true;
                }
                return _convertedData;
            }
        }

        /// <summary>
        /// The fencing token of the claim Resume-BatchState handed this feature out under: piped into
        /// Set-FeatureResult, a result whose claim was lost meanwhile is refused (ClaimLost). Null
        /// from Get-BatchState (an operator's result is always accepted).
        /// </summary>
        public long? ClaimToken { get; }

        /// <summary>Who holds the feature's current claim (host/process id/session), or null.</summary>
        public string? ClaimedBy { get; }

        /// <summary>When the current claim runs out unless its holder renews it (it does while it lives).</summary>
        public DateTime? LeaseExpiresAt { get; }

        /// <summary>The store the feature's batch is in (see BatchState.Store); piped on, it binds -Store.</summary>
        public string Store { get; }

        /// <summary>The state directory of a batch in the file store; null for one in PostgreSQL.</summary>
        public string? StateDirectory { get; }

        public override string ToString() => Feature;

        /// <summary>A file store's folder; null for a database (a piped object then binds only -Store).</summary>
        internal static string? DirectoryOf(IBatchStore store) => store is Core.Batches.FileStore.FileBatchStore ? store.Location : null;
    }
}
