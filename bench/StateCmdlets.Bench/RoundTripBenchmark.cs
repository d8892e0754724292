using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Npgsql;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.PostgreSql;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// One worker's round trip, one item at a time, in this process: a claim of one feature and its
    /// result through the PostgreSQL store, next to a bare single-row UPDATE committed on the same
    /// pooled connection (what PostgreSQL itself charges for one durable commit), and the same
    /// claim + result through the file store. The three take turns item by item, the order turning
    /// every item, so a slow moment of the disk falls on each alike.
    /// </summary>
    internal static class RoundTripBenchmark
    {
        internal const string PgCycle = "PostgreSQL store: claim 1 + its result";
        internal const string PgClaim = "PostgreSQL store: the claim alone";
        internal const string PgRecord = "PostgreSQL store: the result alone";
        internal const string BareUpdate = "bare UPDATE of one row, committed (same connection)";
        internal const string FileCycle = "file store: claim 1 + its result";
        internal const string FileClaim = "file store: the claim alone";
        internal const string FileRecord = "file store: the result alone";

        private const string BatchId = "round-trip";
        private const string BareSql = "UPDATE public.bench_bare_update SET n = n + 1 WHERE id = 1";

        /// <summary>The latencies of each method, and for the PostgreSQL ones the statements each sent on average (<paramref name="statements"/>).</summary>
        internal static IReadOnlyList<LatencySummary> Run(string connectionString, string schema, string folder, PostgresPlan plan, out IReadOnlyDictionary<string, double> statements)
        {
            int features = plan.WarmUpRoundTrips + plan.RoundTrips;
            var options = new PgStoreOptions { Schema = schema };
            var pg = new PgBatchStore(connectionString, options);
            var names = FeatureNames.For(features);
            pg.Create(new BatchDefinition("round trip", names) { BatchId = BatchId }, replace: true, CancellationToken.None);
            string stateDirectory = Path.Combine(folder, "round-trip");
            var file = new FileBatchStore(stateDirectory);
            file.Create(new BatchDefinition("round trip", names) { BatchId = BatchId }, replace: false, CancellationToken.None);

            // The store's pool: one data source per connection string in the process, so this is the store's own connection.
            var source = new PgDatabase(connectionString, options).Source;
            if (!ReferenceEquals(source, new PgDatabase(connectionString, options).Source)) throw new InvalidOperationException("The store's data source is not shared: the bare UPDATE would not use its connection.");
            Execute(source, "CREATE TABLE IF NOT EXISTS public.bench_bare_update (id integer PRIMARY KEY, n bigint NOT NULL); INSERT INTO public.bench_bare_update VALUES (1, 0) ON CONFLICT (id) DO NOTHING");
            int backend = BackendPid(source);

            var worker = WorkerIdentity.Current("round-trip");
            using var counter = new StatementCounter();
            var sent = new Dictionary<string, long> { [PgCycle] = 0, [PgClaim] = 0, [PgRecord] = 0, [BareUpdate] = 0 };
            var t = new Dictionary<string, long[]>();
            foreach (string method in new[] { PgCycle, PgClaim, PgRecord, BareUpdate, FileCycle, FileClaim, FileRecord }) t[method] = new long[plan.RoundTrips];
            for (int i = 0; i < features; i++)
            {
                int at = i - plan.WarmUpRoundTrips;
                for (int k = 0; k < 3; k++)
                {
                    switch ((i + k) % 3)
                    {
                        case 0:
                            long sent0 = counter.Count;
                            var (pgClaim, pgRecord) = Cycle(pg, worker, counter, out long claimSent);
                            Keep(t, at, PgCycle, pgClaim + pgRecord);
                            Keep(t, at, PgClaim, pgClaim);
                            Keep(t, at, PgRecord, pgRecord);
                            if (at >= 0)
                            {
                                long cycleSent = counter.Count - sent0;
                                sent[PgCycle] += cycleSent;
                                sent[PgClaim] += claimSent - sent0;
                                sent[PgRecord] += counter.Count - claimSent;
                            }
                            break;
                        case 1:
                            long bare0 = counter.Count;
                            long start = Stopwatch.GetTimestamp();
                            using (var connection = source.OpenConnection())
                            using (var command = new NpgsqlCommand(BareSql, connection))
                                if (command.ExecuteNonQuery() != 1) throw new InvalidOperationException("The bare UPDATE changed no row.");
                            Keep(t, at, BareUpdate, Stopwatch.GetTimestamp() - start);
                            if (at >= 0) sent[BareUpdate] += counter.Count - bare0;
                            break;
                        default:
                            var (fileClaim, fileRecord) = Cycle(file, worker, null, out _);
                            Keep(t, at, FileCycle, fileClaim + fileRecord);
                            Keep(t, at, FileClaim, fileClaim);
                            Keep(t, at, FileRecord, fileRecord);
                            break;
                    }
                }
            }
            if (BackendPid(source) != backend) throw new InvalidOperationException("The pool changed connections during the round trips: the comparison would not be on one connection.");
            if (pg.Load(BatchId).Completed != features || file.Load(BatchId).Completed != features) throw new InvalidOperationException("A round trip's result is missing after the run.");
            pg.Remove(BatchId, CancellationToken.None);
            Execute(source, "DROP TABLE public.bench_bare_update");
            Directory.Delete(stateDirectory, recursive: true);

            var perOperation = new Dictionary<string, double>();
            foreach (var (method, count) in sent) perOperation[method] = (double)count / plan.RoundTrips;
            statements = perOperation;
            var summaries = new List<LatencySummary>();
            foreach (var (method, ticks) in t) summaries.Add(LatencySummary.From(method, features, ticks, new bool[ticks.Length]));
            return summaries;
        }

        /// <summary>
        /// Claims one feature for <paramref name="worker"/> and records it Completed with the claim's
        /// token; the two times in Stopwatch ticks, and the statement count when the claim was done.
        /// </summary>
        private static (long Claim, long Record) Cycle(IBatchStore store, WorkerIdentity worker, StatementCounter? counter, out long claimSent)
        {
            long start = Stopwatch.GetTimestamp();
            var grant = store.Claim(BatchId, new ClaimRequest(worker, 1), CancellationToken.None);
            long claimed = Stopwatch.GetTimestamp();
            claimSent = counter?.Count ?? 0;
            if (grant.Claimed.Count != 1) throw new InvalidOperationException($"A claim of one feature in '{store.Location}' gave {grant.Claimed.Count}.");
            var feature = grant.Claimed[0];
            store.Record(BatchId, new FeatureResult(feature.Name, FeatureStatus.Completed) { ClaimToken = feature.ClaimToken }, CancellationToken.None);
            return (claimed - start, Stopwatch.GetTimestamp() - claimed);
        }

        private static void Keep(Dictionary<string, long[]> times, int at, string method, long ticks)
        {
            if (at >= 0) times[method][at] = ticks;
        }

        private static void Execute(NpgsqlDataSource source, string sql)
        {
            using var connection = source.OpenConnection();
            using var command = new NpgsqlCommand(sql, connection);
            command.ExecuteNonQuery();
        }

        private static int BackendPid(NpgsqlDataSource source)
        {
            using var connection = source.OpenConnection();
            using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
            return (int)command.ExecuteScalar()!;
        }
    }
}
