using System.Globalization;
using System.Text;

namespace StateCmdlets.Bench
{
    /// <summary>The PostgreSQL rows as Markdown: the round trip, the worker processes of both stores, the ratios, the server.</summary>
    internal static class PostgresReport
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        internal static string Write(PostgresResults results)
        {
            var md = new StringBuilder();
            md.AppendLine($"### PostgreSQL store next to the file store ({results.Plan.Name} run, {results.Elapsed.TotalSeconds:0} s)");
            md.AppendLine();
            if (results.Skipped != null)
            {
                md.AppendLine(results.Skipped);
                md.AppendLine();
                return md.ToString();
            }

            md.AppendLine($"One worker, one item at a time ({results.Plan.RoundTrips:N0} of each, in turn):");
            md.AppendLine();
            md.AppendLine("| Round trip | p50 ms | p99 ms | max ms | p50 ÷ bare UPDATE | Statements sent |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            var bare = results.RoundTrip(RoundTripBenchmark.BareUpdate);
            foreach (var l in results.RoundTrips)
                md.AppendLine($"| {l.Method} | {Ms(l.P50Milliseconds)} | {Ms(l.P99Milliseconds)} | {Ms(l.MaxMilliseconds)} | {Number(bare == null ? null : l.P50Milliseconds / bare.P50Milliseconds, "0.00")} | {Number(results.RoundTripStatements.TryGetValue(l.Method, out double n) ? n : null, "0.0")} |");
            md.AppendLine();

            md.AppendLine($"Worker processes on one batch of {results.Plan.WorkerResults:N0} features, each claiming {results.Plan.ClaimSize} at a time and recording each ({results.Plan.Rounds} round(s)); " +
                $"the bare UPDATE rows are PostgreSQL's own figure for as many commits: each worker commits its share of single-row UPDATEs of a row of its own, no claims:");
            md.AppendLine();
            md.AppendLine("| Store | Workers | Results | Results/s | Claims/s | ms/claim | ms/result | Worker CPU ms/result | Server CPU ms/result | Server commits/result | Durable writes per fsync |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (string store in PostgresResults.Stores)
                foreach (int workers in results.Plan.Workers)
                {
                    var r = results.Find(store, workers);
                    if (r == null) continue;
                    md.AppendLine($"| {r.Store} | {r.Workers} | {r.Results.ToString("N0", Invariant)} | {r.ResultsPerSecond.ToString("N0", Invariant)} | {(r.ClaimCalls == 0 ? "—" : r.ClaimsPerSecond.ToString("N0", Invariant))} | " +
                        $"{(r.ClaimCalls == 0 ? "—" : Ms(r.MeanClaimMilliseconds))} | {Ms(r.MeanRecordMilliseconds)} | {Ms(r.CpuMillisecondsPerResult)} | {Number(r.ServerCpuMillisecondsPerResult, "0.000")} | " +
                        $"{Number(r.ServerCommitsPerResult, "0.00")} | {Number(r.WritesPerFsync, "0.0")} |");
                }
            md.AppendLine();

            md.AppendLine("#### PostgreSQL headline ratios (same run)");
            md.AppendLine();
            md.AppendLine("| Ratio | At | Value | Target | Result |");
            md.AppendLine("| --- | ---: | ---: | :---: | :---: |");
            foreach (var h in results.Headlines())
                md.AppendLine($"| {h.What} | {h.At} | {Number(h.Value, "0.00")} | {h.Target} | {h.Verdict} |");
            md.AppendLine();
            md.AppendLine("| Context, no target | Value |");
            md.AppendLine("| --- | ---: |");
            foreach (var (what, value) in results.Context())
                md.AppendLine($"| {what} | {Number(value, "0.00")} |");
            md.AppendLine();

            md.AppendLine($"Server (started in {results.ServerStart.TotalSeconds:0.0} s):");
            md.AppendLine();
            foreach (var (name, value) in results.Server) md.AppendLine($"- {name}: {value}");
            md.AppendLine();
            return md.ToString();
        }

        /// <summary>The PostgreSQL rows alone (--postgres): their report and the machine.</summary>
        internal static string Alone(PostgresResults results, MachineInfo machine)
        {
            var md = new StringBuilder(Write(results));
            md.AppendLine("### Machine");
            md.AppendLine();
            foreach (var (name, value) in machine.Facts) md.AppendLine($"- {name}: {value}");
            return md.ToString();
        }

        private static string Ms(double ms) => ms < 10 ? ms.ToString("0.000", Invariant) : ms.ToString("N1", Invariant);

        private static string Number(double? value, string format) => value.HasValue ? value.Value.ToString(format, Invariant) : "n/a";
    }
}
