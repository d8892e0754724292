using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace StateCmdlets.Bench
{
    /// <summary>The run as Markdown: the table, the headline ratios, the core's latency spread, the load test, the machine.</summary>
    internal static class MarkdownReport
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        internal static string Write(BenchResults results, MachineInfo machine, string fileSystem, TimeSpan runTime)
        {
            var md = new StringBuilder();
            if (results.Measurements.Count > 0) WriteUpdates(md, results, fileSystem, runTime);
            if (results.Concurrency != null) md.Append(ConcurrencyReport.Write(results.Concurrency));
            if (results.Postgres != null) md.Append(PostgresReport.Write(results.Postgres));
            if (results.ColdStart != null) WriteColdStart(md, results.ColdStart);
            results.InvokeBatch?.Write(md);
            md.AppendLine("### Machine");
            md.AppendLine();
            foreach (var (name, value) in machine.Facts) md.AppendLine($"- {name}: {value}");
            return md.ToString();
        }

        private static void WriteColdStart(StringBuilder md, ColdStartReport cold)
        {
            md.AppendLine($"### Cold start: a fresh pwsh each time (median of {cold.Rounds} rounds)");
            md.AppendLine();
            md.AppendLine("| Module | Child pwsh | ms | ÷ bare pwsh |");
            md.AppendLine("| --- | --- | ---: | ---: |");
            md.AppendLine($"| — | bare: `-NoProfile -NonInteractive -Command exit` | {cold.BareMilliseconds.ToString("N0", Invariant)} | 1.00 |");
            string size = BenchResults.Size(ColdStartBenchmark.ResumeSize);
            foreach (var row in cold.Modules)
            {
                md.AppendLine($"| {row.Label} | `Import-Module`, one `Get-BatchState` (10 features) | {row.GetMilliseconds.ToString("N0", Invariant)} | {Ratio(row.GetMilliseconds, cold)} |");
                md.AppendLine($"| {row.Label} | `Import-Module`, first `Resume-BatchState` of {size} features, {size}-record journal | {row.ResumeMilliseconds.ToString("N0", Invariant)} | {Ratio(row.ResumeMilliseconds, cold)} |");
                md.AppendLine($"| {row.Label} | that `Resume-BatchState` alone (timed inside the pwsh) | {row.ResumeInsideMilliseconds.ToString("N0", Invariant)} | {Ratio(row.ResumeInsideMilliseconds, cold)} |");
            }
            md.AppendLine();
        }

        private static string Ratio(double milliseconds, ColdStartReport cold) => (milliseconds / cold.BareMilliseconds).ToString("0.00", Invariant);

        private static void WriteUpdates(StringBuilder md, BenchResults results, string fileSystem, TimeSpan runTime)
        {
            md.AppendLine($"### Per-update cost ({results.Plan.Name} run, {fileSystem}, {runTime.TotalSeconds:0} s)");
            md.AppendLine();
            md.AppendLine("| Method | Batch size | Updates timed | Mean ms/update | Updates/s | Bytes written/update | Updates/s ÷ raw limit |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            string[] order = { Methods.Raw, Methods.RawOverwrite, Methods.Naive, Methods.Core, Methods.Cmdlet, Methods.Sqlite };
            foreach (int size in results.Plan.Sizes)
            {
                foreach (string method in order)
                {
                    var m = results.Find(method, size);
                    if (m == null) continue;
                    double? ratio = results.RatioToRaw(m);
                    md.AppendLine($"| {m.Method} | {BenchResults.Size(m.BatchSize)} | {m.Updates.ToString("N0", Invariant)} | {Ms(m.MeanMilliseconds)} | " +
                        $"{m.UpdatesPerSecond.ToString("N0", Invariant)} | {(m.BytesPerUpdate.HasValue ? m.BytesPerUpdate.Value.ToString("N0", Invariant) : "n/a")} | " +
                        $"{(ratio.HasValue ? ratio.Value.ToString("0.00", Invariant) : "n/a")} |");
                }
            }
            md.AppendLine();

            md.AppendLine("### Headline ratios (same run)");
            md.AppendLine();
            md.AppendLine("| Ratio | At | Value | Target | Result |");
            md.AppendLine("| --- | ---: | ---: | :---: | :---: |");
            foreach (var h in results.Headlines())
                md.AppendLine($"| {h.What} | {h.At} | {(h.Value.HasValue ? h.Value.Value.ToString("0.00", Invariant) : "n/a")} | {h.Target} | {h.Verdict} |");
            md.AppendLine();
            md.AppendLine("Context, no target: what this disk allows any design that appends and fsyncs once per update.");
            md.AppendLine();
            md.AppendLine("| Ratio (updates/s) | At | Value |");
            md.AppendLine("| --- | ---: | ---: |");
            foreach (var (what, at, value) in results.Context())
                md.AppendLine($"| {what} | {at} | {(value.HasValue ? value.Value.ToString("0.00", Invariant) : "n/a")} |");
            md.AppendLine();

            if (results.Latencies.Count > 0)
            {
                md.AppendLine("### Per-update latency spread (in-process methods)");
                md.AppendLine();
                md.AppendLine("| Method | Batch size | p50 ms | p99 ms | max ms | compactions | share of time in compacting updates |");
                md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
                foreach (int size in results.Plan.Sizes)
                {
                    foreach (var l in results.Latencies.Where(l => l.BatchSize == size))
                    {
                        var m = results.Find(l.Method, l.BatchSize);
                        bool core = l.Method == Methods.Core;
                        string share = !core || m == null ? "—" : (l.CompactionMilliseconds / m.Elapsed.TotalMilliseconds).ToString("P0", Invariant);
                        md.AppendLine($"| {l.Method} | {BenchResults.Size(l.BatchSize)} | {Ms(l.P50Milliseconds)} | {Ms(l.P99Milliseconds)} | {Ms(l.MaxMilliseconds)} | " +
                            $"{(core ? l.Compactions.ToString(Invariant) : "—")} | {share} |");
                    }
                }
                md.AppendLine();
            }

            if (results.Load != null)
            {
                var load = results.Load;
                md.AppendLine($"### Load and resume: {BenchResults.Size(load.BatchSize)} features, {BenchResults.Size(load.JournalRecords)}-record journal");
                md.AppendLine();
                md.AppendLine($"Snapshot {Bytes(load.SnapshotBytes)}, journal {Bytes(load.JournalBytes)} ({load.JournalBytes / Math.Max(1, load.JournalRecords)} bytes/record). " +
                    $"Set-up (create + {BenchResults.Size(load.JournalRecords)} Record calls without fsync, untimed in the table): {load.Setup.TotalSeconds:0.0} s, " +
                    $"{(load.Setup.TotalMilliseconds * 1000 / Math.Max(1, load.JournalRecords)):0} µs per record.");
                md.AppendLine();
                md.AppendLine("| How | ms | Remaining |");
                md.AppendLine("| --- | ---: | ---: |");
                foreach (var r in load.Results)
                    md.AppendLine($"| {r.How} | {r.Milliseconds.ToString("N0", Invariant)} | {r.Remaining} |");
                md.AppendLine();
            }

        }

        private static string Ms(double ms) => ms < 10 ? ms.ToString("0.000", Invariant) : ms.ToString("N1", Invariant);

        private static string Bytes(long bytes) => bytes >= 1 << 20
            ? (bytes / 1048576.0).ToString("0.0", Invariant) + " MiB"
            : (bytes / 1024.0).ToString("0.0", Invariant) + " KiB";
    }
}
