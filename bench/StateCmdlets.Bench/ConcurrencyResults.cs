using System.Collections.Generic;
using System.Linq;

namespace StateCmdlets.Bench
{
    /// <summary>The concurrency rows of one run, and the ratios read from them.</summary>
    internal sealed class ConcurrencyResults
    {
        private readonly List<ConcurrencyRow> _rows = new List<ConcurrencyRow>();

        internal ConcurrencyResults(ConcurrencyPlan plan) => Plan = plan;

        internal ConcurrencyPlan Plan { get; }

        internal IReadOnlyList<ConcurrencyRow> Rows => _rows;

        /// <summary>How long the concurrency rows took, set-up and children included.</summary>
        internal System.TimeSpan Elapsed { get; set; }

        /// <summary>Adds a row, or another round to the row of the same method.</summary>
        internal void Add(ConcurrencyRow row)
        {
            int at = _rows.FindIndex(r => r.Method == row.Method);
            if (at < 0) _rows.Add(row);
            else _rows[at] = _rows[at].Plus(row);
        }

        internal ConcurrencyRow? Find(string method) => _rows.FirstOrDefault(r => r.Method == method);

        /// <summary>Results/s of <paramref name="method"/> over results/s of <paramref name="over"/>.</summary>
        internal double? Ratio(string method, string over)
        {
            var a = Find(method);
            var b = Find(over);
            return a == null || b == null ? null : a.ResultsPerSecond / b.ResultsPerSecond;
        }

        internal IReadOnlyList<Headline> Headlines()
        {
            var noClaim = Ratio(ConcurrencyMethods.CmdletNoClaim, ConcurrencyMethods.CmdletSequential);
            return new[]
            {
                new Headline("core API results/s: 8 threads ÷ 1 thread", Threads, Ratio(ConcurrencyMethods.CoreThreads, ConcurrencyMethods.Core), "≥ 4", atLeast: true, 4),
                new Headline("cmdlet pipeline results/s: ForEach-Object -Parallel ÷ sequential", $"-ThrottleLimit {Plan.Threads}", Ratio(ConcurrencyMethods.CmdletParallel, ConcurrencyMethods.CmdletSequential), "≥ 4", atLeast: true, 4),
                new Headline("core API results/s: 4 processes ÷ 1 process", $"{Plan.Processes} processes", Ratio(ConcurrencyMethods.Processes, ConcurrencyMethods.Process), "≥ 1.5", atLeast: true, 1.5),
                // Per-item cost is the inverse of the rate: claims' ms/item over -NoClaim's.
                new Headline("sequential cmdlet pipeline per-item cost: claims ÷ -NoClaim", "1 writer", noClaim, "≤ 1.3", atLeast: false, 1.3),
            };
        }

        /// <summary>What the disk, SQLite and PowerShell allow: the ceilings the targets meet here.</summary>
        internal IReadOnlyList<(string What, double? Value)> Context() => new (string, double?)[]
        {
            ("core API 1 thread ÷ raw append+fsync 1 thread (one fsync per result: the disk's limit)", Ratio(ConcurrencyMethods.Core, ConcurrencyMethods.Raw)),
            ("core API 8 threads ÷ raw append+fsync 1 thread (past one fsync per result)", Ratio(ConcurrencyMethods.CoreThreads, ConcurrencyMethods.Raw)),
            ("core API 1 thread ÷ raw overwrite+fsync 1 thread (the limit for records written in place, as the journal writes them)", Ratio(ConcurrencyMethods.Core, ConcurrencyMethods.RawOverwrite)),
            ("core API 8 threads ÷ raw append+fsync 8 threads on one file (the kernel's own sharing of fsyncs)", Ratio(ConcurrencyMethods.CoreThreads, ConcurrencyMethods.RawThreads)),
            ("core API 8 threads ÷ raw overwrite+fsync 8 threads on one file", Ratio(ConcurrencyMethods.CoreThreads, ConcurrencyMethods.RawOverwriteThreads)),
            ("raw append+fsync: 8 threads on one file ÷ 1 thread", Ratio(ConcurrencyMethods.RawThreads, ConcurrencyMethods.Raw)),
            ("raw overwrite+fsync: 8 threads on one file ÷ 1 thread", Ratio(ConcurrencyMethods.RawOverwriteThreads, ConcurrencyMethods.RawOverwrite)),
            ("core API 8 threads: results per fsync (mean commit group)", Find(ConcurrencyMethods.CoreThreads)?.ResultsPerFsync),
            ("core API 8 threads ÷ the CPU limit of 8 threads (fsync skipped)", Ratio(ConcurrencyMethods.CoreThreads, ConcurrencyMethods.CoreThreadsNoSync)),
            ("core API, fsync skipped: 8 threads ÷ 1 thread (what 2 cores give the store's own work)", Ratio(ConcurrencyMethods.CoreThreadsNoSync, ConcurrencyMethods.CoreNoSync)),
            ("SQLite WAL: 8 threads ÷ 1 connection", Ratio(ConcurrencyMethods.SqliteThreads, ConcurrencyMethods.Sqlite)),
            ("core API 8 threads ÷ SQLite WAL 8 threads", Ratio(ConcurrencyMethods.CoreThreads, ConcurrencyMethods.SqliteThreads)),
            ("sequential cmdlet pipeline per-item CPU time: claims ÷ -NoClaim", CpuRatio(ConcurrencyMethods.CmdletSequential, ConcurrencyMethods.CmdletNoClaim)),
            ("ForEach-Object -Parallel with a block that records nothing ÷ sequential cmdlet pipeline (the most -Parallel can reach here)", Ratio(ConcurrencyMethods.CmdletEmptyParallel, ConcurrencyMethods.CmdletSequential)),
            ("cmdlet pipeline, -Parallel ÷ -Parallel recording nothing (share of that ceiling reached)", Ratio(ConcurrencyMethods.CmdletParallel, ConcurrencyMethods.CmdletEmptyParallel)),
            ($"cmdlet pipeline with {ConcurrencyPlan.WorkMilliseconds} ms of work per item: -Parallel ÷ sequential ({Plan.Threads} would be perfect)", Ratio(ConcurrencyMethods.CmdletParallelWork, ConcurrencyMethods.CmdletSequentialWork)),
            ("core API 4 processes ÷ raw append+fsync 1 thread", Ratio(ConcurrencyMethods.Processes, ConcurrencyMethods.Raw)),
            ("core API 4 processes: results per fsync", Find(ConcurrencyMethods.Processes)?.ResultsPerFsync),
        };

        /// <summary>CPU ms per result of <paramref name="method"/> over that of <paramref name="over"/>.</summary>
        private double? CpuRatio(string method, string over)
        {
            var a = Find(method)?.CpuMillisecondsPerResult;
            var b = Find(over)?.CpuMillisecondsPerResult;
            return a.HasValue && b.HasValue && b.Value > 0 ? a / b : null;
        }

        private string Threads => $"{Plan.Threads} threads";
    }
}
