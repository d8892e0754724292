using System;
using System.Diagnostics;

namespace StateCmdlets.Bench
{
    /// <summary>How one run's per-update latencies spread: a mean hides compaction's spikes.</summary>
    internal sealed class LatencySummary
    {
        private LatencySummary(string method, int batchSize, double p50, double p99, double max, int compactions, double compactionMs)
        {
            Method = method;
            BatchSize = batchSize;
            P50Milliseconds = p50;
            P99Milliseconds = p99;
            MaxMilliseconds = max;
            Compactions = compactions;
            CompactionMilliseconds = compactionMs;
        }

        internal string Method { get; }

        internal int BatchSize { get; }

        internal double P50Milliseconds { get; }

        internal double P99Milliseconds { get; }

        internal double MaxMilliseconds { get; }

        /// <summary>Snapshot rewrites seen during the run.</summary>
        internal int Compactions { get; }

        /// <summary>Time spent in the updates that compacted.</summary>
        internal double CompactionMilliseconds { get; }

        /// <summary>From the Stopwatch ticks of each update, in order, and which of them compacted.</summary>
        internal static LatencySummary From(string method, int batchSize, long[] ticks, bool[] compacted)
        {
            var sorted = (long[])ticks.Clone();
            Array.Sort(sorted);
            int compactions = 0;
            long compactionTicks = 0;
            for (int i = 0; i < ticks.Length; i++)
            {
                if (!compacted[i]) continue;
                compactions++;
                compactionTicks += ticks[i];
            }
            return new LatencySummary(method, batchSize, Ms(Percentile(sorted, 0.50)), Ms(Percentile(sorted, 0.99)), Ms(sorted[sorted.Length - 1]),
                compactions, Ms(compactionTicks));
        }

        private static long Percentile(long[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

        private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
    }
}
