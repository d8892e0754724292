using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Runs every method side by side in one process, in one fresh temp folder, and prints the
    /// Markdown report. Exit 0 when the run completed (a MISS is a result, not a failure),
    /// 1 on any error, 2 on a bad command line.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            if (args.Length == 3 && args[0] == LoadChild.Verb) return LoadChild.Execute(args[1], args[2]);
            if (args.Length > 0 && args[0] == RecordChild.Verb) return RecordChild.Execute(args);
            if (args.Length == 1 && args[0] == ClaimWorkerChild.Verb) return ClaimWorkerChild.Execute();

            BenchOptions options;
            try
            {
                options = BenchOptions.Parse(args);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine(BenchOptions.Usage);
                return 2;
            }

            string folder = Path.Combine(options.ParentFolder, "statecmdlets-bench-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            try
            {
                Directory.CreateDirectory(folder);
                Run(options, folder);
                return 0;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"Benchmark failed: {e}");
                return 1;
            }
            finally
            {
                try { Directory.Delete(folder, recursive: true); }
                catch (IOException e) { Console.Error.WriteLine($"Could not remove '{folder}': {e.Message}"); }
            }
        }

        private static void Run(BenchOptions options, string folder)
        {
            var total = Stopwatch.StartNew();
            var plan = options.Quick ? BenchPlan.Quick : BenchPlan.Full;
            string fileSystem = MachineInfo.FileSystemOf(folder);
            var machine = MachineInfo.Describe(folder, SqliteMethod.Version());
            Console.WriteLine($"StateCmdlets benchmark, {plan.Name} run, in {folder} ({fileSystem})");
            foreach (var (name, value) in machine.Facts) Console.WriteLine($"  {name}: {value}");
            if (!ProcessIo.Available) Console.WriteLine("  /proc/self/io is missing: bytes written are n/a.");

            string module = StagedModuleCopy.Make(options.ModuleManifest, folder);
            var concurrency = new ConcurrencyBenchmark(options.Pwsh, module, options.Quick ? ConcurrencyPlan.Quick : ConcurrencyPlan.Full);
            if (options.ConcurrencyOnly)
            {
                Publish(options, ConcurrencyBenchmark.Alone(concurrency.Run(folder), machine));
                return;
            }
            var postgres = new PostgresBenchmark(options.Quick ? PostgresPlan.Quick : PostgresPlan.Full);
            if (options.PostgresOnly)
            {
                Publish(options, PostgresReport.Alone(postgres.Run(folder), machine));
                return;
            }
            var results = new BenchResults(plan);
            if (options.InvokeBatchOnly)
            {
                RunInvokeBatch(options, module, folder, results);
                Finish(options, results, machine, fileSystem, total);
                return;
            }
            if (options.ColdStartOnly)
            {
                RunColdStart(options, module, folder, plan, results);
                Finish(options, results, machine, fileSystem, total);
                return;
            }
            WarmUp(folder, plan);
            var cmdlet = new CmdletPipelineBenchmark(options.Pwsh, module);
            foreach (int size in plan.Sizes)
            {
                Console.WriteLine($"  {size:N0} items: raw, naive, core and SQLite interleaved in {plan.Slices} slices ...");
                foreach (var (measurement, latency) in InterleavedRun.Run(InProcessMethods(folder, plan, size), plan.Slices))
                {
                    Report(results, measurement);
                    results.Add(latency);
                }
                if (!plan.CmdletSizes.Contains(size)) continue;
                DiskSync.FlushAll();
                Report(results, cmdlet.Run(folder, size));
            }

            Console.WriteLine($"  load test: {plan.LoadSize:N0} features, every result in the journal ...");
            results.Load = new JournalLoadBenchmark(options.Pwsh, module).Run(folder, plan.LoadSize);
            results.Concurrency = concurrency.Run(folder);
            RunInvokeBatch(options, module, folder, results);
            results.Postgres = postgres.Run(folder);
            RunColdStart(options, module, folder, plan, results);
            Finish(options, results, machine, fileSystem, total);
        }

        private static void RunColdStart(BenchOptions options, string module, string folder, BenchPlan plan, BenchResults results)
        {
            Console.WriteLine($"  cold start: {plan.ColdStartRounds} rounds of a bare pwsh, import + Get-BatchState, and a first Resume-BatchState of {ColdStartBenchmark.ResumeSize:N0} features ...");
            var modules = new List<(string, string)> { ("this build", module) };
            foreach (var (label, manifest) in options.Baselines) modules.Add((label, StagedModuleCopy.Make(manifest, Path.Combine(folder, "baseline-" + modules.Count))));
            results.ColdStart = new ColdStartBenchmark(options.Pwsh, modules).Run(folder, plan.ColdStartRounds);
        }

        private static void RunInvokeBatch(BenchOptions options, string module, string folder, BenchResults results)
        {
            Console.WriteLine("  Invoke-Batch: sleeping items against the ideal, empty ones next to ForEach-Object -Parallel ...");
            results.InvokeBatch = new InvokeBatchBenchmark(options.Pwsh, module).Run(folder, options.Quick);
        }

        private static void Finish(BenchOptions options, BenchResults results, MachineInfo machine, string fileSystem, Stopwatch total)
        {
            total.Stop();
            Publish(options, MarkdownReport.Write(results, machine, fileSystem, total.Elapsed));
        }

        private static void Publish(BenchOptions options, string report)
        {
            Console.WriteLine();
            Console.WriteLine(report);
            if (options.Output != null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
                File.WriteAllText(options.Output, report);
                Console.WriteLine($"Report written to {options.Output}");
            }
        }

        /// <summary>The methods timed in this process at one batch size, in the order each round runs them.</summary>
        private static IUpdateMethod[] InProcessMethods(string folder, BenchPlan plan, int size) => new IUpdateMethod[]
        {
            new RawAppendMethod(folder, size, plan.RawUpdates(size)),
            new RawOverwriteMethod(folder, size, plan.RawUpdates(size)),
            new NaiveRewriteMethod(folder, size, plan.NaiveUpdates(size)),
            new CoreRecordMethod(folder, size),
            new SqliteMethod(folder, size),
        };

        /// <summary>Each in-process method once on a small batch, untimed: JIT and first-use costs stay out of the table.</summary>
        private static void WarmUp(string folder, BenchPlan plan) => InterleavedRun.Run(InProcessMethods(folder, plan, plan.WarmUpSize), 1);

        private static void Report(BenchResults results, Measurement m)
        {
            results.Add(m);
            string bytes = m.BytesPerUpdate.HasValue ? m.BytesPerUpdate.Value.ToString("N0") : "n/a";
            Console.WriteLine($"  {m.Method,-32} {m.BatchSize,9:N0} items: {m.Updates,7:N0} updates, {m.MeanMilliseconds,8:0.000} ms/update, {m.UpdatesPerSecond,7:N0}/s, {bytes} B/update");
        }
    }
}
