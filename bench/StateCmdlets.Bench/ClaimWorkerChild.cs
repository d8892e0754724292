using System;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using Npgsql;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.PostgreSql;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// A worker process of the store-versus-store rows (claim-child): this program started again,
    /// kept for the whole run, doing one job after another as the harness writes them to its
    /// standard input (a <see cref="ClaimJob"/> as one JSON line). For each job it opens the store,
    /// says it is ready, waits for the harness's "go", then works as a script's worker does: claim a
    /// few features, record each Completed with the claim's token, again until a claim gives nothing;
    /// it prints what it did as one JSON line. Stdin closed: it exits.
    /// </summary>
    internal static class ClaimWorkerChild
    {
        internal const string Verb = "claim-child";
        internal const string Ready = "ready";
        internal const string Go = "go";

        private const string FlushTrace = "Wrote record(s)";

        internal static int Execute()
        {
            var worker = WorkerIdentity.Current("bench");
            string? line;
            while ((line = Console.ReadLine()) != null)
            {
                var job = JsonSerializer.Deserialize<ClaimJob>(line) ?? throw new InvalidOperationException($"Not a job: '{line}'.");
                if (job.Store == ClaimJob.Bare)
                {
                    if (!BareUpdates(job)) return 1;
                    continue;
                }
                long fsyncs = 0;
                IBatchStore store = job.Store == ClaimJob.Postgres
                    ? new PgBatchStore(job.Location, Options(job))
                    : new FileBatchStore(job.Location, new FileStoreOptions { Trace = t => { if (t.StartsWith(FlushTrace, StringComparison.Ordinal)) fsyncs++; } });
                // Opens the connection (PostgreSQL) and reads the batch once: not in the time.
                store.Summary(job.BatchId, CancellationToken.None);
                Console.WriteLine(Ready);
                Console.Out.Flush();
                if (Console.ReadLine() != Go) return 1;

                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                long claimTicks = 0, recordTicks = 0;
                int claims = 0, claimed = 0, recorded = 0;
                long start = Stopwatch.GetTimestamp();
                while (true)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    var grant = store.Claim(job.BatchId, new ClaimRequest(worker, job.ClaimSize), CancellationToken.None);
                    long t1 = Stopwatch.GetTimestamp();
                    claimTicks += t1 - t0;
                    claims++;
                    if (grant.Claimed.Count == 0) break;
                    claimed += grant.Claimed.Count;
                    foreach (var feature in grant.Claimed)
                    {
                        long r0 = Stopwatch.GetTimestamp();
                        store.Record(job.BatchId, new FeatureResult(feature.Name, FeatureStatus.Completed) { ClaimToken = feature.ClaimToken }, CancellationToken.None);
                        recordTicks += Stopwatch.GetTimestamp() - r0;
                        recorded++;
                    }
                }
                long end = Stopwatch.GetTimestamp();
                double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
                if (job.Store == ClaimJob.Postgres) FlushServerStatistics(job);
                Console.WriteLine(JsonSerializer.Serialize(new ClaimWork
                {
                    Start = start,
                    End = end,
                    CpuMilliseconds = cpuMs,
                    Claims = claims,
                    Claimed = claimed,
                    Recorded = recorded,
                    ClaimMilliseconds = Ms(claimTicks),
                    RecordMilliseconds = Ms(recordTicks),
                    Fsyncs = job.Store == ClaimJob.Postgres ? null : fsyncs,
                }));
                Console.Out.Flush();
            }
            return 0;
        }

        /// <summary>
        /// PostgreSQL's own figure for the same work: <see cref="ClaimJob.Share"/> single-row UPDATEs
        /// of this worker's own row, each committed on its own, through a pooled connection opened
        /// for each as the store opens one for each call. No claims. False when the harness gave up.
        /// </summary>
        private static bool BareUpdates(ClaimJob job)
        {
            int id = Environment.ProcessId;
            using (var connection = new NpgsqlConnection(job.Location))
            {
                connection.Open();
                using var insert = new NpgsqlCommand(BareTable.Insert, connection);
                insert.Parameters.AddWithValue("id", id);
                insert.ExecuteNonQuery();
            }
            Console.WriteLine(Ready);
            Console.Out.Flush();
            if (Console.ReadLine() != Go) return false;

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            long recordTicks = 0;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < job.Share; i++)
            {
                long r0 = Stopwatch.GetTimestamp();
                using (var connection = new NpgsqlConnection(job.Location))
                {
                    connection.Open();
                    using var update = new NpgsqlCommand(BareTable.Update, connection);
                    update.Parameters.AddWithValue("id", id);
                    if (update.ExecuteNonQuery() != 1) throw new InvalidOperationException("The bare UPDATE changed no row.");
                }
                recordTicks += Stopwatch.GetTimestamp() - r0;
            }
            long end = Stopwatch.GetTimestamp();
            double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
            using (var connection = new NpgsqlConnection(job.Location))
            {
                connection.Open();
                FlushServerStatistics(connection);
            }
            Console.WriteLine(JsonSerializer.Serialize(new ClaimWork
            {
                Start = start,
                End = end,
                CpuMilliseconds = cpuMs,
                Recorded = job.Share,
                RecordMilliseconds = Ms(recordTicks),
            }));
            Console.Out.Flush();
            return true;
        }

        private static PgStoreOptions Options(ClaimJob job) => new PgStoreOptions { Schema = job.Schema };

        /// <summary>
        /// The server's statistics reach pg_stat_wal and pg_stat_database when a backend goes idle,
        /// at most once a second: this makes the store's own pooled connection report now, untimed,
        /// so the harness's reading after the run has every commit and WAL sync of it.
        /// </summary>
        private static void FlushServerStatistics(ClaimJob job)
        {
            using var connection = new PgDatabase(job.Location, Options(job)).Source.OpenConnection();
            FlushServerStatistics(connection);
        }

        private static void FlushServerStatistics(NpgsqlConnection connection)
        {
            using var command = new NpgsqlCommand("SELECT pg_stat_force_next_flush()", connection);
            try { command.ExecuteNonQuery(); }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedFunction) { } // before PostgreSQL 15
        }

        private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>One job of a <see cref="ClaimWorkerChild"/>: which store, which batch, how many features a claim asks for.</summary>
    internal sealed class ClaimJob
    {
        internal const string File = "file";
        internal const string Postgres = "postgres";
        internal const string Bare = "bare";

        public string Store { get; set; } = File;

        /// <summary>The state directory, or the connection string (it stays on the pipe, never on a command line).</summary>
        public string Location { get; set; } = string.Empty;

        public string? Schema { get; set; }

        public string BatchId { get; set; } = string.Empty;

        public int ClaimSize { get; set; }

        /// <summary>Bare UPDATEs this worker commits (<see cref="Bare"/> only).</summary>
        public int Share { get; set; }
    }

    /// <summary>What one worker did in one job; Stopwatch timestamps are the machine's monotonic clock, the same in every process.</summary>
    internal sealed class ClaimWork
    {
        public long Start { get; set; }

        public long End { get; set; }

        public double CpuMilliseconds { get; set; }

        /// <summary>Claim calls, the last (empty) one included.</summary>
        public int Claims { get; set; }

        public int Claimed { get; set; }

        public int Recorded { get; set; }

        /// <summary>Time spent inside Claim calls.</summary>
        public double ClaimMilliseconds { get; set; }

        /// <summary>Time spent inside Record calls.</summary>
        public double RecordMilliseconds { get; set; }

        /// <summary>Journal flushes the file store reported (each one fsync); null for PostgreSQL (the server counts its own).</summary>
        public long? Fsyncs { get; set; }
    }
}
