using System;
using System.Collections.Generic;
using System.Text.Json;

namespace StateCmdlets.Core.Batches
{
    /// <summary>The outcome of one attempt at a feature, as a script reports it.</summary>
    internal sealed class FeatureResult
    {
        public FeatureResult(string feature, FeatureStatus status, string? errorMessage = null, JsonElement? data = null)
        {
            Feature = feature;
            Status = status;
            ErrorMessage = errorMessage;
            Data = data;
        }

        public string Feature { get; }

        public FeatureStatus Status { get; }

        /// <summary>The error of a failure, or the reason for a skip.</summary>
        public string? ErrorMessage { get; }

        /// <summary>Replaces the feature's data when given; absent keeps what is there.</summary>
        public JsonElement? Data { get; }

        /// <summary>A failure that retrying cannot fix: never handed out again.</summary>
        public bool Permanent { get; set; }

        /// <summary>
        /// The .NET types of the failure's exception and its inner exceptions (outermost first),
        /// matched against the batch's permanent error types: PowerShell wraps a .NET method's
        /// exception in a MethodInvocationException, and the type that matters is inside.
        /// </summary>
        public IReadOnlyList<string> ErrorTypes { get; set; } = Array.Empty<string>();

        /// <summary>
        /// The fencing token of the claim the result was worked under (Resume-BatchState gives it);
        /// null for an operator's decision, which is always accepted and ends any claim.
        /// </summary>
        public long? ClaimToken { get; set; }

        /// <summary>Tokens this attempt used, added to the batch's context estimate.</summary>
        public long ContextTokens { get; set; }

        /// <summary>For a skip because a dependency failed for good: that dependency (set by the batch).</summary>
        public string? BlockedBy { get; internal set; }

        /// <summary>When a failed feature may be tried again (backoff); set by the store, kept in the journal.</summary>
        internal DateTime? RetryAt { get; set; }
    }
}
