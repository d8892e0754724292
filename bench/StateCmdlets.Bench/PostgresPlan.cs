using System.Collections.Generic;

namespace StateCmdlets.Bench
{
    /// <summary>How big the PostgreSQL rows are: the round-trip loop, the batches the workers share, rounds.</summary>
    internal sealed class PostgresPlan
    {
        private PostgresPlan(string name, int roundTrips, int workerResults, int rounds)
        {
            Name = name;
            RoundTrips = roundTrips;
            WorkerResults = workerResults;
            Rounds = rounds;
        }

        internal string Name { get; }

        /// <summary>Timed claim + result round trips (and as many bare UPDATEs, interleaved).</summary>
        internal int RoundTrips { get; }

        /// <summary>Untimed round trips of each kind first: JIT, the first connection, the plans.</summary>
        internal int WarmUpRoundTrips => 30;

        /// <summary>Features of each fresh batch the worker processes share (results of each run).</summary>
        internal int WorkerResults { get; }

        /// <summary>Worker processes on one batch, each count a row per store.</summary>
        internal IReadOnlyList<int> Workers { get; } = new[] { 1, 2, 4, 8 };

        /// <summary>Features each claim asks for ("claim a few, record each").</summary>
        internal int ClaimSize => 4;

        /// <summary>
        /// Features of the untimed first run of all the workers on each store: 60 results and 15
        /// claims each, so the tiered JIT has compiled the hot paths again before any timed run.
        /// </summary>
        internal int WarmUpResults => 480;

        /// <summary>Rounds of the worker runs: each round runs every store at every count once, the order turned round every other round.</summary>
        internal int Rounds { get; }

        internal static PostgresPlan Full { get; } = new PostgresPlan("full", 1_000, 1_200, 3);

        internal static PostgresPlan Quick { get; } = new PostgresPlan("quick", 150, 240, 1);
    }
}
