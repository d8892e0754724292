using System.Globalization;
using System.Text;

namespace StateCmdlets.Bench
{
    /// <summary>The concurrency rows as Markdown: the table, the headline ratios, their context.</summary>
    internal static class ConcurrencyReport
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        internal static string Write(ConcurrencyResults results)
        {
            var md = new StringBuilder();
            md.AppendLine($"### Several writers, one batch ({results.Plan.Name} run, {results.Elapsed.TotalSeconds:0} s)");
            md.AppendLine();
            md.AppendLine("| Method | Where | Writers | Results timed | Results/s | Wall ms/result | CPU ms/result | Bytes written/result | Results per fsync | Results/s ÷ raw 1 thread | Results/s ÷ raw 8 threads |");
            md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            var raw = results.Find(ConcurrencyMethods.Raw);
            var rawThreads = results.Find(ConcurrencyMethods.RawThreads);
            foreach (var r in results.Rows)
            {
                md.AppendLine($"| {r.Method} | {r.Group} | {r.Writers} | {r.Results.ToString("N0", Invariant)} | {r.ResultsPerSecond.ToString("N0", Invariant)} | " +
                    $"{r.MeanMilliseconds.ToString("0.000", Invariant)} | {Number(r.CpuMillisecondsPerResult, "0.000")} | {Number(r.BytesPerResult, "N0")} | {Number(r.ResultsPerFsync, "0.0")} | " +
                    $"{Number(raw == null ? null : r.ResultsPerSecond / raw.ResultsPerSecond, "0.00")} | {Number(rawThreads == null ? null : r.ResultsPerSecond / rawThreads.ResultsPerSecond, "0.00")} |");
            }
            md.AppendLine();
            md.AppendLine("#### Concurrency headline ratios (same run)");
            md.AppendLine();
            md.AppendLine("| Ratio | At | Value | Target | Result |");
            md.AppendLine("| --- | ---: | ---: | :---: | :---: |");
            foreach (var h in results.Headlines())
                md.AppendLine($"| {h.What} | {h.At} | {Number(h.Value, "0.00")} | {h.Target} | {h.Verdict} |");
            md.AppendLine();
            md.AppendLine("Context, no target: the ceilings those targets meet on this machine.");
            md.AppendLine();
            md.AppendLine("| Ratio | Value |");
            md.AppendLine("| --- | ---: |");
            foreach (var (what, value) in results.Context())
                md.AppendLine($"| {what} | {Number(value, "0.00")} |");
            md.AppendLine();
            return md.ToString();
        }

        private static string Number(double? value, string format) => value.HasValue ? value.Value.ToString(format, Invariant) : "n/a";
    }
}
