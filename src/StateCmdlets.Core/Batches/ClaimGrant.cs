using System;
using System.Collections.Generic;

namespace StateCmdlets.Core.Batches
{
    /// <summary>What a claim gave a worker, and why it gave no more.</summary>
    internal sealed class ClaimGrant
    {
        /// <summary>The features claimed, in the order to work on them, each with its token and lease.</summary>
        public List<Feature> Claimed { get; } = new List<Feature>();

        /// <summary>Features skipped on the way because a dependency failed for good, with the reason.</summary>
        public List<KeyValuePair<string, string>> Blocked { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>How long the claims hold without a renewal.</summary>
        public TimeSpan Lease { get; set; }

        /// <summary>The batch's circuit breaker is open: nothing was claimed.</summary>
        public bool Suspended { get; set; }

        /// <summary>Features left that other workers hold now (their leases hold).</summary>
        public int HeldByOthers { get; set; }

        /// <summary>The first time a failed feature's backoff passes, when only backoffs kept features back.</summary>
        public DateTime? NextRetry { get; set; }

        /// <summary>Some feature waits for a dependency that is not done yet.</summary>
        public bool WaitingForDependencies { get; set; }

        public int Total { get; set; }

        /// <summary>Features still to do, claimed ones included.</summary>
        public int Remaining { get; set; }

        /// <summary>The batch's counters when claimed, for messages.</summary>
        public int ConsecutiveFailures { get; set; }

        public int MaxConsecutiveFailures { get; set; }
    }
}
