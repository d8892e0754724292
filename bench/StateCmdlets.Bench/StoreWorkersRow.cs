using System;

namespace StateCmdlets.Bench
{
    /// <summary>One row of the store-versus-store table: a store with some worker processes, summed over its rounds.</summary>
    internal sealed class StoreWorkersRow
    {
        private StoreWorkersRow(string store, int workers, int results, int claims, int claimCalls, TimeSpan elapsed, TimeSpan cpu, double claimMs, double recordMs,
            long? fsyncs, long? serverCommits, double? serverCpuMs)
        {
            if (results <= 0) throw new ArgumentOutOfRangeException(nameof(results), "A row needs at least one result.");
            Store = store;
            Workers = workers;
            Results = results;
            Claims = claims;
            ClaimCalls = claimCalls;
            Elapsed = elapsed;
            Cpu = cpu;
            ClaimMilliseconds = claimMs;
            RecordMilliseconds = recordMs;
            Fsyncs = fsyncs;
            ServerCommits = serverCommits;
            ServerCpuMilliseconds = serverCpuMs;
        }

        internal string Store { get; }

        internal int Workers { get; }

        internal int Results { get; }

        /// <summary>Claim calls that gave features: each a durable write (each worker's last, empty one is not counted).</summary>
        internal int Claims { get; }

        /// <summary>Claim calls, the empty ones included.</summary>
        internal int ClaimCalls { get; }

        /// <summary>From the first worker's release to the last one's end.</summary>
        internal TimeSpan Elapsed { get; }

        /// <summary>The worker processes' CPU time.</summary>
        internal TimeSpan Cpu { get; }

        internal double ClaimMilliseconds { get; }

        internal double RecordMilliseconds { get; }

        /// <summary>fsyncs of the run: the file store's journal flushes, or the server's WAL fsyncs.</summary>
        internal long? Fsyncs { get; }

        /// <summary>Transactions the server committed in the bench's database (read-only ones too); null for the file store.</summary>
        internal long? ServerCommits { get; }

        /// <summary>CPU time of the server's processes; null for the file store or a server elsewhere.</summary>
        internal double? ServerCpuMilliseconds { get; }

        internal double ResultsPerSecond => Results / Elapsed.TotalSeconds;

        internal double ClaimsPerSecond => Claims / Elapsed.TotalSeconds;

        /// <summary>NaN for a row without claims.</summary>
        internal double MeanClaimMilliseconds => ClaimCalls == 0 ? double.NaN : ClaimMilliseconds / ClaimCalls;

        internal double MeanRecordMilliseconds => RecordMilliseconds / Results;

        internal double CpuMillisecondsPerResult => Cpu.TotalMilliseconds / Results;

        internal double? ServerCpuMillisecondsPerResult => ServerCpuMilliseconds / Results;

        /// <summary>Durable writes (claims that gave features, results) each fsync covered.</summary>
        internal double? WritesPerFsync => Fsyncs.HasValue && Fsyncs.Value > 0 ? (double)(Claims + Results) / Fsyncs.Value : null;

        internal double? ServerCommitsPerResult => ServerCommits.HasValue ? (double)ServerCommits.Value / Results : null;

        /// <summary>A run's row: the empty claim that ends each worker is not a claim of anything (bare UPDATE workers claim nothing at all).</summary>
        internal static StoreWorkersRow Of(string store, ClaimRun run, long? fsyncs, long? serverCommits, double? serverCpuMs) =>
            new StoreWorkersRow(store, run.Workers, run.Recorded, Math.Max(0, run.Claims - run.Workers), run.Claims, run.Elapsed, run.Cpu, run.ClaimMilliseconds, run.RecordMilliseconds, fsyncs, serverCommits, serverCpuMs);

        /// <summary>Adds another round of the same store and worker count.</summary>
        internal StoreWorkersRow Plus(StoreWorkersRow other)
        {
            if (other.Store != Store || other.Workers != Workers) throw new ArgumentException("Only rounds of one store and worker count add up.", nameof(other));
            return new StoreWorkersRow(Store, Workers, Results + other.Results, Claims + other.Claims, ClaimCalls + other.ClaimCalls, Elapsed + other.Elapsed, Cpu + other.Cpu,
                ClaimMilliseconds + other.ClaimMilliseconds, RecordMilliseconds + other.RecordMilliseconds,
                Fsyncs + other.Fsyncs, ServerCommits + other.ServerCommits, ServerCpuMilliseconds + other.ServerCpuMilliseconds);
        }
    }
}
