using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Several writers on one batch, next to one writer, in one run: threads of this process
    /// (raw append+fsync and overwrite+fsync, the core API with and without fsync, SQLite WAL; each
    /// with 1 and 8 writers), the cmdlet pipeline
    /// sequential and with ForEach-Object -Parallel in a child pwsh, and the core API in 1 and 4
    /// child processes. The thread and process rows run in rounds, every method once per round in
    /// turn on a fresh batch, with a sync before each, so a disk that is slow for a while slows
    /// every method alike and the ratios hold; the 1-writer and many-writer runs of a method run
    /// next to each other, in turn first and second.
    /// </summary>
    internal sealed class ConcurrencyBenchmark
    {
        private readonly string _pwsh;
        private readonly string _moduleManifest;
        private readonly ConcurrencyPlan _plan;

        internal ConcurrencyBenchmark(string pwsh, string moduleManifest, ConcurrencyPlan plan)
        {
            _pwsh = pwsh;
            _moduleManifest = moduleManifest;
            _plan = plan;
        }

        internal ConcurrencyResults Run(string folder)
        {
            var clock = Stopwatch.StartNew();
            var results = new ConcurrencyResults(_plan);
            foreach (var method in ThreadMethods(folder, _plan.WarmUpResults, 0)) ConcurrentRun.Time(method, ConcurrencyMethods.ThreadGroup);

            Console.WriteLine($"  concurrency: {_plan.Rounds} rounds of raw, core and SQLite with 1 and {_plan.Threads} threads, {_plan.ThreadResults:N0} results each ...");
            for (int round = 1; round <= _plan.Rounds; round++)
                foreach (var method in ThreadMethods(folder, _plan.ThreadResults, round))
                    Report(results, ConcurrentRun.Time(method, ConcurrencyMethods.ThreadGroup));

            Console.WriteLine($"  concurrency: the cmdlet pipeline in a child pwsh, {_plan.CmdletRounds} round(s) of {_plan.CmdletResults:N0} features per way ...");
            foreach (var row in new CmdletConcurrencyBenchmark(_pwsh, _moduleManifest).Run(folder, _plan))
                Report(results, row);

            Console.WriteLine($"  concurrency: {_plan.Rounds} rounds of 1 and {_plan.Processes} child processes, {_plan.ProcessResults:N0} results each ...");
            for (int round = 1; round <= _plan.Rounds; round++)
                foreach (int processes in InTurn(1, _plan.Processes, round))
                    Report(results, RecordChild.Run(folder, processes, _plan.ProcessResults, round));
            results.Elapsed = clock.Elapsed;
            return results;
        }

        /// <summary>The concurrency rows alone (--concurrency): their report and the machine.</summary>
        internal static string Alone(ConcurrencyResults results, MachineInfo machine)
        {
            var md = new StringBuilder(ConcurrencyReport.Write(results));
            md.AppendLine("### Machine");
            md.AppendLine();
            foreach (var (name, value) in machine.Facts) md.AppendLine($"- {name}: {value}");
            return md.ToString();
        }

        /// <summary>The in-process methods of one round, in the order the round runs them.</summary>
        private IEnumerable<IConcurrentMethod> ThreadMethods(string folder, int results, int round)
        {
            foreach (int writers in InTurn(1, _plan.Threads, round)) yield return new RawFsyncThreads(folder, writers, results, round, inPlace: false);
            foreach (int writers in InTurn(1, _plan.Threads, round)) yield return new RawFsyncThreads(folder, writers, results, round, inPlace: true);
            foreach (int writers in InTurn(1, _plan.Threads, round)) yield return new CoreRecordThreads(folder, writers, results, round, skipFsync: false);
            foreach (int writers in InTurn(1, _plan.Threads, round)) yield return new CoreRecordThreads(folder, writers, results, round, skipFsync: true);
            foreach (int writers in InTurn(1, _plan.Threads, round)) yield return new SqliteThreads(folder, writers, results, round);
        }

        /// <summary>Odd rounds <paramref name="first"/> then <paramref name="second"/>, even rounds the other way round.</summary>
        private static int[] InTurn(int first, int second, int round) => round % 2 == 1 ? new[] { first, second } : new[] { second, first };

        private static void Report(ConcurrencyResults results, ConcurrencyRow row)
        {
            results.Add(row);
            string bytes = row.BytesPerResult.HasValue ? row.BytesPerResult.Value.ToString("N0", CultureInfo.InvariantCulture) : "n/a";
            string perFsync = row.ResultsPerFsync.HasValue ? $", {row.ResultsPerFsync.Value:0.0} results/fsync" : string.Empty;
            Console.WriteLine($"    {row.Method,-52} {row.Writers} writer(s): {row.Results,6:N0} results, {row.ResultsPerSecond,7:N0}/s, {bytes} B/result{perFsync}");
        }
    }
}
