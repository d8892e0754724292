using System;
using System.Collections.Generic;

namespace StateCmdlets.Core.Batches
{
    /// <summary>What a worker asks of <see cref="IBatchStore.Claim"/>: up to so many features to work on now.</summary>
    internal sealed class ClaimRequest
    {
        public ClaimRequest(WorkerIdentity worker, int maxItems)
        {
            if (maxItems < 1) throw new ArgumentOutOfRangeException(nameof(maxItems), "A claim asks for at least one feature.");
            Worker = worker ?? throw new ArgumentNullException(nameof(worker));
            MaxItems = maxItems;
        }

        public WorkerIdentity Worker { get; }

        /// <summary>At most this many new features (own claims given back come on top).</summary>
        public int MaxItems { get; }

        /// <summary>How long the claims hold without a renewal; null: the batch's own lease.</summary>
        public TimeSpan? Lease { get; set; }

        /// <summary>Retry failed features that have attempts left.</summary>
        public bool IncludeFailed { get; set; } = true;

        /// <summary>
        /// Give back this worker's own claims that hold and have no result yet (its earlier run was
        /// cut short): the first claim of a run asks for them, later ones must not (they are in flight).
        /// </summary>
        public bool ReclaimOwn { get; set; }

        /// <summary>
        /// Features this run handed out already, with their attempt count then: not handed out
        /// again until a newer result says they failed (with attempts left).
        /// </summary>
        public IReadOnlyDictionary<string, int> HandedOut { get; set; } = new Dictionary<string, int>();
    }
}
