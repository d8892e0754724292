using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace StateCmdlets.Invocation
{
    // TEMPORARY timing trace (STATECMDLETS_IBTRACE=path): removed before merge.
    internal static class RunTrace
    {
        internal static readonly bool On = Environment.GetEnvironmentVariable("STATECMDLETS_IBTRACE") != null;
        private static readonly ConcurrentDictionary<string, long[]> Totals = new ConcurrentDictionary<string, long[]>();

        internal static long Now() => Stopwatch.GetTimestamp();

        internal static void Add(string phase, long started)
        {
            if (!On) return;
            long ticks = Stopwatch.GetTimestamp() - started;
            var slot = Totals.GetOrAdd(phase, _ => new long[2]);
            Interlocked.Add(ref slot[0], ticks);
            Interlocked.Increment(ref slot[1]);
        }

        internal static void Count(string what, long n = 1)
        {
            if (!On) return;
            var slot = Totals.GetOrAdd(what, _ => new long[2]);
            Interlocked.Add(ref slot[1], n);
        }

        internal static void Dump(TimeSpan total)
        {
            if (!On) return;
            var lines = Totals.OrderBy(p => p.Key).Select(p => $"{p.Key,-24} n={p.Value[1],6} total={p.Value[0] * 1000.0 / Stopwatch.Frequency,9:0.0} ms avg={(p.Value[1] == 0 ? 0 : p.Value[0] * 1000.0 / Stopwatch.Frequency / p.Value[1]),8:0.000} ms");
            System.IO.File.AppendAllText(Environment.GetEnvironmentVariable("STATECMDLETS_IBTRACE")!, $"--- run {total.TotalMilliseconds:0} ms\n" + string.Join("\n", lines) + "\n");
            Totals.Clear();
        }
    }
}
