namespace StateCmdlets.Bench
{
    /// <summary>How big the concurrency rows are: results per run, rounds, writers.</summary>
    internal sealed class ConcurrencyPlan
    {
        private ConcurrencyPlan(string name, int threadResults, int cmdletResults, int cmdletWarmUpResults, int workResults, int processResults, int rounds, int cmdletRounds)
        {
            CmdletWarmUpResults = cmdletWarmUpResults;
            WorkResults = workResults;
            Name = name;
            ThreadResults = threadResults;
            CmdletResults = cmdletResults;
            ProcessResults = processResults;
            Rounds = rounds;
            CmdletRounds = cmdletRounds;
        }

        internal string Name { get; }

        /// <summary>Threads writing at once in the multi-writer rows (and runspaces of ForEach-Object -Parallel).</summary>
        internal int Threads => 8;

        /// <summary>Child processes writing at once in the multi-process row.</summary>
        internal int Processes => 4;

        /// <summary>Features of each fresh batch (results of each run) of the in-process thread rows.</summary>
        internal int ThreadResults { get; }

        /// <summary>Features of each batch the child pwsh runs each pipeline over.</summary>
        internal int CmdletResults { get; }

        /// <summary>Features of the batch each pipeline of the child pwsh warms up on, untimed (those with work: 20).</summary>
        internal int CmdletWarmUpResults { get; }

        /// <summary>Features of each batch the pipelines whose items work <see cref="WorkMilliseconds"/> first run over.</summary>
        internal int WorkResults { get; }

        /// <summary>How long each item of those pipelines sleeps before its result is recorded (it waits on something, as real items do).</summary>
        internal const int WorkMilliseconds = 20;

        /// <summary>Features of each batch the child processes record.</summary>
        internal int ProcessResults { get; }

        /// <summary>Rounds of the thread and process rows: each round runs every method once, in turn, on its own batch (even: pairs swap places each round).</summary>
        internal int Rounds { get; }

        /// <summary>Rounds of the child pwsh: even, since the pairs compared there swap places each round.</summary>
        internal int CmdletRounds { get; }

        /// <summary>Untimed, first: every in-process method once on a batch this small, so JIT is not in the first row.</summary>
        internal int WarmUpResults => 200;

        internal static ConcurrencyPlan Full { get; } = new ConcurrencyPlan("full", 3_000, 1_000, 200, 100, 2_000, 4, 6);

        internal static ConcurrencyPlan Quick { get; } = new ConcurrencyPlan("quick", 500, 200, 50, 40, 400, 2, 2);
    }
}
