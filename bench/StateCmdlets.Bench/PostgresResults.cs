using System;
using System.Collections.Generic;
using System.Linq;

namespace StateCmdlets.Bench
{
    /// <summary>The PostgreSQL rows of one run (or why there are none), and the ratios read from them.</summary>
    internal sealed class PostgresResults
    {
        internal const string FileStore = "file store";
        internal const string PgStore = "PostgreSQL";
        internal const string BareUpdates = "bare UPDATE";

        /// <summary>Every store of the worker rows, in the order of the table.</summary>
        internal static IReadOnlyList<string> Stores { get; } = new[] { FileStore, PgStore, BareUpdates };

        private readonly List<StoreWorkersRow> _rows = new List<StoreWorkersRow>();

        internal PostgresResults(PostgresPlan plan) => Plan = plan;

        internal PostgresPlan Plan { get; }

        /// <summary>Set when PostgreSQL could not be used: the line the report prints instead of the rows.</summary>
        internal string? Skipped { get; set; }

        /// <summary>Which server, and its settings that decide what a commit costs.</summary>
        internal List<(string Name, string Value)> Server { get; } = new List<(string, string)>();

        internal IReadOnlyList<LatencySummary> RoundTrips { get; set; } = Array.Empty<LatencySummary>();

        /// <summary>Statements (round trips) the PostgreSQL round-trip methods sent per operation, by method.</summary>
        internal IReadOnlyDictionary<string, double> RoundTripStatements { get; set; } = new Dictionary<string, double>();

        internal IReadOnlyList<StoreWorkersRow> Rows => _rows;

        internal TimeSpan ServerStart { get; set; }

        internal TimeSpan Elapsed { get; set; }

        /// <summary>Adds a row, or another round to the row of the same store and worker count.</summary>
        internal void Add(StoreWorkersRow row)
        {
            int at = _rows.FindIndex(r => r.Store == row.Store && r.Workers == row.Workers);
            if (at < 0) _rows.Add(row);
            else _rows[at] = _rows[at].Plus(row);
        }

        internal StoreWorkersRow? Find(string store, int workers) => _rows.FirstOrDefault(r => r.Store == store && r.Workers == workers);

        internal LatencySummary? RoundTrip(string method) => RoundTrips.FirstOrDefault(l => l.Method == method);

        internal double? Scaling(string store, int workers)
        {
            var many = Find(store, workers);
            var one = Find(store, 1);
            return many == null || one == null ? null : many.ResultsPerSecond / one.ResultsPerSecond;
        }

        internal double? LatencyRatio(string method, string over, bool p99 = false)
        {
            var a = RoundTrip(method);
            var b = RoundTrip(over);
            if (a == null || b == null) return null;
            return p99 ? a.P99Milliseconds / b.P99Milliseconds : a.P50Milliseconds / b.P50Milliseconds;
        }

        internal IReadOnlyList<Headline> Headlines() => new[]
        {
            new Headline("PostgreSQL store: claim 1 + its result ÷ a bare single-row UPDATE committed, p50", "1 worker", LatencyRatio(RoundTripBenchmark.PgCycle, RoundTripBenchmark.BareUpdate), "≤ 2", atLeast: false, 2),
            new Headline("PostgreSQL store results/s: 4 workers ÷ 1 worker", "4 processes", Scaling(PgStore, 4), "≥ 2", atLeast: true, 2),
        };

        /// <summary>No target: what the headlines mean next to the other rows.</summary>
        internal IReadOnlyList<(string What, double? Value)> Context()
        {
            var context = new List<(string, double?)>
            {
                ("claim 1 + its result ÷ bare UPDATE, p99", LatencyRatio(RoundTripBenchmark.PgCycle, RoundTripBenchmark.BareUpdate, p99: true)),
                ("the claim alone ÷ bare UPDATE, p50 (one commit each)", LatencyRatio(RoundTripBenchmark.PgClaim, RoundTripBenchmark.BareUpdate)),
                ("the result alone ÷ bare UPDATE, p50 (one commit each)", LatencyRatio(RoundTripBenchmark.PgRecord, RoundTripBenchmark.BareUpdate)),
                ("file store claim 1 + its result ÷ PostgreSQL store's, p50", LatencyRatio(RoundTripBenchmark.FileCycle, RoundTripBenchmark.PgCycle)),
            };
            foreach (int workers in Plan.Workers.Where(w => w > 1))
                context.Add(($"PostgreSQL results/s: {workers} workers ÷ 1", Scaling(PgStore, workers)));
            foreach (int workers in Plan.Workers.Where(w => w > 1))
                context.Add(($"bare UPDATEs (PostgreSQL's own ceiling) commits/s: {workers} workers ÷ 1", Scaling(BareUpdates, workers)));
            foreach (int workers in Plan.Workers.Where(w => w > 1))
                context.Add(($"file store results/s: {workers} workers ÷ 1", Scaling(FileStore, workers)));
            foreach (int workers in Plan.Workers)
            {
                var pg = Find(PgStore, workers);
                var bare = Find(BareUpdates, workers);
                context.Add(($"PostgreSQL store results/s ÷ bare UPDATEs/s, {workers} worker{(workers == 1 ? string.Empty : "s")}", pg == null || bare == null ? null : pg.ResultsPerSecond / bare.ResultsPerSecond));
            }
            foreach (int workers in Plan.Workers)
            {
                var pg = Find(PgStore, workers);
                var file = Find(FileStore, workers);
                context.Add(($"PostgreSQL ÷ file store results/s, {workers} worker{(workers == 1 ? string.Empty : "s")}", pg == null || file == null ? null : pg.ResultsPerSecond / file.ResultsPerSecond));
            }
            return context;
        }
    }
}
