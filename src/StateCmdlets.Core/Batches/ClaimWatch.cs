using System;
using System.Collections.Generic;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Notices, every third of the lease, claims a run is still working under that it has lost: the
    /// lease ran out (the process was frozen, the disk unreachable) and another worker claimed the
    /// feature, or someone finished it. The run stops those items' work: their results would be
    /// refused (ClaimLost) anyway, and another worker is doing the same item.
    /// </summary>
    internal sealed class ClaimWatch
    {
        private readonly TimeSpan _period;

        public ClaimWatch(TimeSpan lease, DateTime utcNow)
        {
            _period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, lease.Ticks / 3));
            NextCheck = utcNow + _period;
        }

        /// <summary>When the batch should be looked at next.</summary>
        public DateTime NextCheck { get; private set; }

        public bool IsDue(DateTime utcNow) => utcNow >= NextCheck;

        /// <summary>
        /// Of the features in flight (name and the token they were claimed with), those whose claim
        /// is no longer theirs in <paramref name="batch"/>: gone, finished, or claimed again since.
        /// </summary>
        public IReadOnlyList<string> Lost(Batch batch, IEnumerable<KeyValuePair<string, long>> inFlight, DateTime utcNow)
        {
            NextCheck = utcNow + _period;
            var lost = new List<string>();
            foreach (var item in inFlight)
            {
                var feature = batch.Find(item.Key);
                bool finished = feature != null && (feature.Status == FeatureStatus.Completed || feature.Status == FeatureStatus.Skipped);
                if (feature == null || finished || feature.ClaimToken != item.Value) lost.Add(item.Key);
            }
            return lost;
        }
    }
}
