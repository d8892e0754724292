using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Npgsql;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.PostgreSql;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The PostgreSQL store next to the file store, in one run: a throwaway server started the way
    /// the store's tests start theirs (<see cref="ThrowawayPostgres"/>: initdb in the bench's temp
    /// folder, as the postgres user when root, a free loopback port and a Unix socket). First one
    /// worker's round trip against a bare UPDATE (<see cref="RoundTripBenchmark"/>); then 1, 2, 4
    /// and 8 worker processes on one batch of each store, and as many committing bare UPDATEs
    /// (PostgreSQL's own figure), every kind at every count once per round, in turn, the order turned
    /// round every other round; before each run a sync, and for PostgreSQL a VACUUM ANALYZE and a
    /// CHECKPOINT (so no checkpoint falls inside a run and every run starts from the same tables).
    /// The server is stopped at the end.
    /// </summary>
    internal sealed class PostgresBenchmark
    {
        private const string Schema = "bench";

        private readonly PostgresPlan _plan;

        internal PostgresBenchmark(PostgresPlan plan) => _plan = plan;

        internal PostgresResults Run(string folder)
        {
            var clock = Stopwatch.StartNew();
            var results = new PostgresResults(_plan);
            try
            {
                results.Skipped = ThrowawayPostgres.WhyNot();
                if (results.Skipped != null)
                {
                    Console.WriteLine("  " + results.Skipped);
                    return results;
                }
                // The workers start (and JIT) while the server starts.
                using var workers = new ClaimWorkers(_plan.Workers.Max());
                Console.WriteLine("  postgres: starting a throwaway PostgreSQL server (initdb, pg_ctl) ...");
                var starting = Stopwatch.StartNew();
                ThrowawayPostgres server;
                try
                {
                    server = new ThrowawayPostgres(folder);
                }
                catch (InvalidOperationException e)
                {
                    results.Skipped = $"PostgreSQL rows SKIPPED: the server did not start (run as root, it runs as the postgres user, who must be able to reach the bench's temp folder; see --dir): {e.Message}";
                    Console.WriteLine("  " + results.Skipped);
                    return results;
                }
                using (server)
                {
                    results.ServerStart = starting.Elapsed;
                    try
                    {
                        Measure(server, workers, folder, results);
                    }
                    finally
                    {
                        PgDatabase.CloseAll();
                    }
                }
                return results;
            }
            finally
            {
                results.Elapsed = clock.Elapsed;
            }
        }

        private void Measure(ThrowawayPostgres server, ClaimWorkers workers, string folder, PostgresResults results)
        {
            const string database = "bench";
            string connectionString = server.CreateDatabase(database);
            using var admin = new NpgsqlConnection(server.Admin.ConnectionString);
            admin.Open();
            Describe(server, admin, results);
            int? postmaster = ServerCounters.Postmaster(admin);
            var pg = new PgBatchStore(connectionString, new PgStoreOptions { Schema = Schema });

            Console.WriteLine($"  postgres: {_plan.RoundTrips:N0} round trips of one claim + one result, a bare UPDATE and the file store's, in turn ...");
            results.RoundTrips = RoundTripBenchmark.Run(connectionString, Schema, folder, _plan, out var statements);
            results.RoundTripStatements = statements;
            foreach (var l in results.RoundTrips)
                Console.WriteLine($"    {l.Method,-56} p50 {l.P50Milliseconds,7:0.000} ms, p99 {l.P99Milliseconds,7:0.000} ms{(statements.TryGetValue(l.Method, out double n) ? $", {n:0.0} statements" : string.Empty)}");

            var run = new WorkerRun(pg, admin, database, postmaster, connectionString, folder, workers);
            using (var connection = new NpgsqlConnection(connectionString))
            {
                connection.Open();
                using var create = new NpgsqlCommand(BareTable.Create, connection);
                create.ExecuteNonQuery();
            }
            foreach (string store in PostgresResults.Stores) run.Once(store, workers.Count, _plan.WarmUpResults, _plan.ClaimSize, "warm-up");
            Console.WriteLine($"  postgres: {_plan.Rounds} round(s) of {string.Join(", ", _plan.Workers)} worker processes on one batch of {_plan.WorkerResults:N0}, file store, PostgreSQL store and bare UPDATEs in turn ...");
            for (int round = 1; round <= _plan.Rounds; round++)
            {
                var counts = round % 2 == 1 ? _plan.Workers : _plan.Workers.Reverse().ToArray();
                foreach (int count in counts)
                    foreach (string store in round % 2 == 1 ? PostgresResults.Stores : PostgresResults.Stores.Reverse())
                    {
                        var row = run.Once(store, count, _plan.WorkerResults, _plan.ClaimSize, $"r{round}");
                        results.Add(row);
                        Console.WriteLine($"    {row.Store,-10} {row.Workers} worker(s): {row.Results,6:N0} results, {row.ResultsPerSecond,7:N0}/s, {row.ClaimsPerSecond,6:N0} claims/s, " +
                            $"{(row.ClaimCalls > 0 ? row.MeanClaimMilliseconds : 0),6:0.00} ms/claim, {row.MeanRecordMilliseconds,6:0.00} ms/result{(row.WritesPerFsync.HasValue ? $", {row.WritesPerFsync.Value:0.0} writes/fsync" : string.Empty)}");
                    }
            }
        }

        private static void Describe(ThrowawayPostgres server, NpgsqlConnection admin, PostgresResults results)
        {
            results.Server.Add(("server", $"the bench's own, made by initdb in its temp folder (as the store's tests make theirs) with initdb's default settings, on 127.0.0.1:{server.Port}; the store connects over TCP, password (SCRAM), pooled"));
            using (var command = new NpgsqlCommand("SELECT version()", admin)) results.Server.Add(("version", (string)command.ExecuteScalar()!));
            const string settings = "SELECT name, setting || coalesce(' ' || unit, '') FROM pg_settings WHERE name IN " +
                "('synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'commit_siblings', 'full_page_writes', 'wal_level', 'shared_buffers', 'max_connections', 'data_directory') ORDER BY name";
            using (var command = new NpgsqlCommand(settings, admin))
            using (var r = command.ExecuteReader())
                while (r.Read())
                {
                    string name = r.GetString(0), value = r.GetString(1);
                    results.Server.Add((name, name == "data_directory" ? $"{value} ({MachineInfo.FileSystemOf(value)})" : value));
                }
        }

        /// <summary>One run of some workers on a fresh batch of one store, prepared and checked untimed.</summary>
        private sealed class WorkerRun
        {
            private readonly PgBatchStore _pg;
            private readonly NpgsqlConnection _admin;
            private readonly string _database;
            private readonly int? _postmaster;
            private readonly string _connectionString;
            private readonly string _folder;
            private readonly ClaimWorkers _workers;

            internal WorkerRun(PgBatchStore pg, NpgsqlConnection admin, string database, int? postmaster, string connectionString, string folder, ClaimWorkers workers)
            {
                _pg = pg;
                _admin = admin;
                _database = database;
                _postmaster = postmaster;
                _connectionString = connectionString;
                _folder = folder;
                _workers = workers;
            }

            internal StoreWorkersRow Once(string store, int workers, int features, int claimSize, string tag)
            {
                if (features % workers != 0) throw new ArgumentException($"{features} results do not split evenly among {workers} workers.", nameof(features));
                string batchId = $"workers-{workers}-{tag}";
                bool bare = store == PostgresResults.BareUpdates;
                bool postgres = store == PostgresResults.PgStore || bare;
                string stateDirectory = Path.Combine(_folder, batchId);
                IBatchStore? target = bare ? null : store == PostgresResults.PgStore ? _pg : new FileBatchStore(stateDirectory);
                target?.Create(new BatchDefinition("bench", FeatureNames.For(features)) { BatchId = batchId }, replace: false, CancellationToken.None);
                if (postgres) Prepare();
                DiskSync.FlushAll();

                _workers.Prepare(workers, new ClaimJob
                {
                    Store = bare ? ClaimJob.Bare : postgres ? ClaimJob.Postgres : ClaimJob.File,
                    Location = postgres ? _connectionString : stateDirectory,
                    Schema = postgres ? Schema : null,
                    BatchId = batchId,
                    ClaimSize = claimSize,
                    Share = features / workers,
                });
                var before = postgres ? ServerCounters.Read(_admin, _database, _postmaster) : null;
                var run = _workers.Go();
                ServerCounters? after = null;
                if (postgres)
                {
                    // The walwriter reports its fsyncs on its next round (every 200 ms while busy).
                    Thread.Sleep(300);
                    after = ServerCounters.Read(_admin, _database, _postmaster);
                }

                if (run.Recorded != features) throw new InvalidOperationException($"The {store} workers recorded {run.Recorded} of {features} results.");
                if (target != null)
                {
                    var batch = target.Load(batchId);
                    if (batch.Completed != features) throw new InvalidOperationException($"Batch '{batchId}' of the {store} has {batch.Completed} of {features} features completed after the run.");
                    target.Remove(batchId, CancellationToken.None);
                }
                if (Directory.Exists(stateDirectory)) Directory.Delete(stateDirectory, recursive: true);
                return StoreWorkersRow.Of(store, run,
                    postgres ? after!.WalSyncs - before!.WalSyncs : run.Fsyncs,
                    postgres ? after!.Commits - before!.Commits : null,
                    postgres ? after!.CpuMillisecondsSince(before!) : null);
            }

            /// <summary>The same tables for every run (dead rows of earlier runs gone, statistics fresh), and no checkpoint due inside it.</summary>
            private void Prepare()
            {
                foreach (string sql in new[] { $"VACUUM ANALYZE {Schema}.item, {Schema}.batch, {Schema}.applied_request", "CHECKPOINT" })
                {
                    var builder = new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = false };
                    using var connection = new NpgsqlConnection(builder.ConnectionString);
                    connection.Open();
                    using var command = new NpgsqlCommand(sql, connection);
                    command.ExecuteNonQuery();
                }
            }
        }
    }
}
