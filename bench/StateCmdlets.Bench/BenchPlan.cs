using System;
using System.Collections.Generic;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Batch sizes and how many updates each method times at each. Sized so the full run stays
    /// within about 6 minutes on a 2-core machine with a disk that fsyncs in a fraction of a ms.
    /// </summary>
    internal sealed class BenchPlan
    {
        private readonly Func<int, int> _naiveUpdates;
        private readonly Func<int, int> _rawUpdates;

        private BenchPlan(string name, int[] sizes, int[] cmdletSizes, int loadSize, int warmUpSize, int slices, int coldStartRounds, Func<int, int> naiveUpdates, Func<int, int> rawUpdates)
        {
            Name = name;
            Sizes = sizes;
            CmdletSizes = cmdletSizes;
            LoadSize = loadSize;
            WarmUpSize = warmUpSize;
            Slices = slices;
            ColdStartRounds = coldStartRounds;
            _naiveUpdates = naiveUpdates;
            _rawUpdates = rawUpdates;
        }

        internal string Name { get; }

        internal IReadOnlyList<int> Sizes { get; }

        /// <summary>Sizes the child-pwsh pipeline runs at (it is the slowest method per update).</summary>
        internal IReadOnlyList<int> CmdletSizes { get; }

        /// <summary>Features (and journal records) of the batch the load test resumes.</summary>
        internal int LoadSize { get; }

        /// <summary>A small batch each in-process method runs first, untimed, so JIT is not in the first row.</summary>
        internal int WarmUpSize { get; }

        /// <summary>How many round-robin slices each method's updates are cut into.</summary>
        internal int Slices { get; }

        /// <summary>Rounds of the cold-start children (bare pwsh, import + Get-BatchState, cold resume); medians are reported.</summary>
        internal int ColdStartRounds { get; }

        /// <summary>The size the core-versus-naive headline is read at.</summary>
        internal int NaiveHeadlineSize => Sizes[Sizes.Count / 2];

        internal static BenchPlan Full { get; } = new BenchPlan("full",
            new[] { 1_000, 10_000, 100_000 }, new[] { 1_000, 10_000, 100_000 }, 100_000, 200, 10, 9,
            // A whole-file rewrite at 100,000 items takes tens of ms: 20 give a per-update cost, not a full pass.
            size => size <= 1_000 ? 500 : size <= 10_000 ? 100 : 20,
            // One file opened once: the batch size changes nothing, so cap the loop.
            size => Math.Min(size, 10_000));

        internal static BenchPlan Quick { get; } = new BenchPlan("quick",
            new[] { 100, 1_000, 3_000 }, new[] { 100, 1_000 }, 3_000, 50, 4, 3,
            size => size <= 100 ? 50 : size <= 1_000 ? 20 : 5,
            size => Math.Min(size, 1_000));

        internal int NaiveUpdates(int size) => Math.Min(size, _naiveUpdates(size));

        internal int RawUpdates(int size) => _rawUpdates(size);
    }
}
