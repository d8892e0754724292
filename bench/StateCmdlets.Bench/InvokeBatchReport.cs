using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace StateCmdlets.Bench
{
    /// <summary>What the Invoke-Batch benchmark measured, its two headline ratios, and its Markdown section.</summary>
    internal sealed class InvokeBatchReport
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        internal InvokeBatchReport(int items, int workMs, int throttleLimit, double[] sleepingMs, int emptyItems, double[] invokeBatchMs, double[] parallelMs)
        {
            Items = items;
            WorkMs = workMs;
            ThrottleLimit = throttleLimit;
            SleepingMs = sleepingMs;
            EmptyItems = emptyItems;
            InvokeBatchMs = invokeBatchMs;
            ParallelMs = parallelMs;
        }

        internal int Items { get; }

        internal int WorkMs { get; }

        internal int ThrottleLimit { get; }

        /// <summary>Each round's wall time of the whole Invoke-Batch call over the sleeping items.</summary>
        internal double[] SleepingMs { get; }

        /// <summary>Each round's wall time of ForEach-Object -Parallel over the same sleeping items: what the machine allows.</summary>
        internal double[] ParallelSleepingMs { get; init; } = System.Array.Empty<double>();

        internal int EmptyItems { get; }

        internal double[] InvokeBatchMs { get; }

        internal double[] ParallelMs { get; }

        /// <summary>Items x work / throttle limit: what perfect parallelism with no overhead takes.</summary>
        internal double IdealMs => (double)Items * WorkMs / ThrottleLimit;

        internal double SleepingRatio => Median(SleepingMs) / IdealMs;

        /// <summary>Invoke-Batch's per-item cost on empty blocks over ForEach-Object -Parallel's, medians of the rounds.</summary>
        internal double OverheadRatio => Median(InvokeBatchMs) / Median(ParallelMs);

        internal Headline[] Headlines() => new[]
        {
            new Headline($"Invoke-Batch, {Items} items of {WorkMs} ms, ÷ ideal ({Items} x {WorkMs} ms / {ThrottleLimit})", $"-ThrottleLimit {ThrottleLimit}", SleepingRatio, "≤ 1.5", atLeast: false, 1.5),
            new Headline("Invoke-Batch per-item cost ÷ ForEach-Object -Parallel's, empty blocks, results recorded durably", $"{EmptyItems} items, -ThrottleLimit {ThrottleLimit}", OverheadRatio, "≤ 0.5", atLeast: false, 0.5),
        };

        internal void Write(StringBuilder md)
        {
            md.AppendLine($"### Invoke-Batch ({SleepingMs.Length} round(s), medians)");
            md.AppendLine();
            md.AppendLine("| What | Rounds (ms) | Median ms | Per item ms |");
            md.AppendLine("| --- | --- | ---: | ---: |");
            md.AppendLine($"| Invoke-Batch, {Items} items of {WorkMs} ms, -ThrottleLimit {ThrottleLimit} (ideal {IdealMs:0} ms) | {Rounds(SleepingMs)} | {Median(SleepingMs):0} | {Median(SleepingMs) / Items:0.00} |");
            if (ParallelSleepingMs.Length > 0)
                md.AppendLine($"| ForEach-Object -Parallel, the same {Items} items of {WorkMs} ms (what this machine allows; {Median(ParallelSleepingMs) / IdealMs:0.00} x the ideal) | {Rounds(ParallelSleepingMs)} | {Median(ParallelSleepingMs):0} | {Median(ParallelSleepingMs) / Items:0.00} |");
            md.AppendLine($"| Invoke-Batch, {EmptyItems} empty items, -ThrottleLimit {ThrottleLimit} | {Rounds(InvokeBatchMs)} | {Median(InvokeBatchMs):0} | {Median(InvokeBatchMs) / EmptyItems:0.00} |");
            md.AppendLine($"| ForEach-Object -Parallel, {EmptyItems} empty items, -ThrottleLimit {ThrottleLimit} | {Rounds(ParallelMs)} | {Median(ParallelMs):0} | {Median(ParallelMs) / EmptyItems:0.00} |");
            md.AppendLine();
            md.AppendLine("| Ratio | At | Value | Target | Result |");
            md.AppendLine("| --- | ---: | ---: | :---: | :---: |");
            foreach (var h in Headlines())
                md.AppendLine($"| {h.What} | {h.At} | {(h.Value.HasValue ? h.Value.Value.ToString("0.00", Invariant) : "n/a")} | {h.Target} | {h.Verdict} |");
            md.AppendLine();
        }

        private static string Rounds(double[] values) => string.Join(", ", values.Select(v => v.ToString("0", Invariant)));

        private static double Median(double[] values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            int mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }
}
