using System.Collections.Generic;
using System.Linq;

namespace StateCmdlets.Bench
{
    /// <summary>Everything one run measured, and the headline ratios read from it.</summary>
    internal sealed class BenchResults
    {
        private readonly List<Measurement> _measurements = new List<Measurement>();
        private readonly List<LatencySummary> _latencies = new List<LatencySummary>();

        internal BenchResults(BenchPlan plan) => Plan = plan;

        internal BenchPlan Plan { get; }

        internal IReadOnlyList<Measurement> Measurements => _measurements;

        internal IReadOnlyList<LatencySummary> Latencies => _latencies;

        internal JournalLoadReport? Load { get; set; }

        internal ConcurrencyResults? Concurrency { get; set; }

        internal PostgresResults? Postgres { get; set; }

        internal ColdStartReport? ColdStart { get; set; }

        internal InvokeBatchReport? InvokeBatch { get; set; }

        internal void Add(Measurement measurement) => _measurements.Add(measurement);

        internal void Add(LatencySummary latency) => _latencies.Add(latency);

        internal Measurement? Find(string method, int size) => _measurements.FirstOrDefault(m => m.Method == method && m.BatchSize == size);

        /// <summary>This row's updates/s over the raw append+fsync limit measured at the same size.</summary>
        internal double? RatioToRaw(Measurement measurement)
        {
            var raw = Find(Methods.Raw, measurement.BatchSize);
            return raw == null ? null : measurement.UpdatesPerSecond / raw.UpdatesPerSecond;
        }

        internal IReadOnlyList<Headline> Headlines()
        {
            var headlines = new List<Headline>();
            foreach (int size in Plan.Sizes)
                headlines.Add(new Headline("core updates/s ÷ raw append+fsync limit", Size(size), Ratio(Methods.Core, Methods.Raw, size), "≥ 0.5", atLeast: true, 0.5));

            int smallest = Plan.Sizes[0], largest = Plan.Sizes[Plan.Sizes.Count - 1];
            var small = Find(Methods.Core, smallest);
            var large = Find(Methods.Core, largest);
            double? growth = small != null && large != null ? large.MeanMilliseconds / small.MeanMilliseconds : null;
            headlines.Add(new Headline("core per-update cost at largest ÷ at smallest", $"{Size(largest)} ÷ {Size(smallest)}", growth, "≤ 1.5", atLeast: false, 1.5));

            int naiveSize = Plan.NaiveHeadlineSize;
            headlines.Add(new Headline("core updates/s ÷ naive rewrite", Size(naiveSize), Ratio(Methods.Core, Methods.Naive, naiveSize), "≥ 30", atLeast: true, 30));

            foreach (int size in Plan.Sizes)
                headlines.Add(new Headline("core updates/s ÷ SQLite WAL", Size(size), Ratio(Methods.Core, Methods.Sqlite, size), "≥ 1", atLeast: true, 1));
            return headlines;
        }

        /// <summary>Ceilings the targets are read against: the raw limit over the baselines, overwriting over appending.</summary>
        internal IReadOnlyList<(string What, string At, double? Value)> Context()
        {
            var context = new List<(string, string, double?)>();
            int naiveSize = Plan.NaiveHeadlineSize;
            context.Add(("raw append+fsync ÷ naive rewrite (the most any append design can get over naive)", Size(naiveSize), Ratio(Methods.Raw, Methods.Naive, naiveSize)));
            foreach (int size in Plan.Sizes)
                context.Add(("raw append+fsync ÷ SQLite WAL (the most any append design can get over SQLite)", Size(size), Ratio(Methods.Raw, Methods.Sqlite, size)));
            foreach (int size in Plan.Sizes)
                context.Add(("raw overwrite+fsync ÷ raw append+fsync (what a file that never grows saves)", Size(size), Ratio(Methods.RawOverwrite, Methods.Raw, size)));
            return context;
        }

        private double? Ratio(string method, string over, int size)
        {
            var a = Find(method, size);
            var b = Find(over, size);
            return a == null || b == null ? null : a.UpdatesPerSecond / b.UpdatesPerSecond;
        }

        internal static string Size(int size) => size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
