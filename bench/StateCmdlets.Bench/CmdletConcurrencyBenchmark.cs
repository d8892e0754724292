using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The cmdlet pipeline with one writer and with eight runspaces, in one child pwsh
    /// (ConcurrencyPipeline.ps1): sequential with claims, sequential with -NoClaim,
    /// ForEach-Object -Parallel with claims, and ForEach-Object -Parallel with a block that records
    /// nothing (its own cost per item), each on a fresh batch, in rounds, timed inside pwsh.
    /// </summary>
    internal sealed class CmdletConcurrencyBenchmark
    {
        private const string ScriptName = "ConcurrencyPipeline.ps1";

        private static readonly (string Mode, string Method, bool Parallel, bool Work)[] Modes =
        {
            ("sequential", ConcurrencyMethods.CmdletSequential, false, false),
            ("noclaim", ConcurrencyMethods.CmdletNoClaim, false, false),
            ("parallel", ConcurrencyMethods.CmdletParallel, true, false),
            ("emptyParallel", ConcurrencyMethods.CmdletEmptyParallel, true, false),
            ("sequentialWork", ConcurrencyMethods.CmdletSequentialWork, false, true),
            ("parallelWork", ConcurrencyMethods.CmdletParallelWork, true, true),
        };

        private readonly string _pwsh;
        private readonly string _moduleManifest;

        internal CmdletConcurrencyBenchmark(string pwsh, string moduleManifest)
        {
            _pwsh = pwsh;
            _moduleManifest = moduleManifest;
        }

        internal IReadOnlyList<ConcurrencyRow> Run(string folder, ConcurrencyPlan plan)
        {
            string stateDirectory = Path.Combine(folder, "cmdlet-concurrency");
            string script = Path.Combine(AppContext.BaseDirectory, ScriptName);
            string output = ChildProcess.Run(_pwsh, TimeSpan.FromMinutes(20),
                "-NoProfile", "-NonInteractive", "-File", script,
                "-ModuleManifest", _moduleManifest, "-StateDirectory", stateDirectory,
                "-Count", Text(plan.CmdletResults), "-WarmUpCount", Text(plan.CmdletWarmUpResults), "-WorkCount", Text(plan.WorkResults), "-WorkMs", Text(ConcurrencyPlan.WorkMilliseconds),
                "-Rounds", Text(plan.CmdletRounds), "-ThrottleLimit", Text(plan.Threads));

            using var result = JsonDocument.Parse(ChildProcess.LastLine(output));
            var rows = new List<ConcurrencyRow>();
            foreach (var (mode, method, parallel, work) in Modes)
            {
                int expected = (work ? plan.WorkResults : plan.CmdletResults) * plan.CmdletRounds;
                var totals = result.RootElement.GetProperty(mode);
                int completed = totals.GetProperty("completed").GetInt32();
                if (completed != expected) throw new InvalidOperationException($"The pwsh pipeline '{mode}' completed {completed} of {expected} features.");
                var written = totals.GetProperty("written");
                rows.Add(new ConcurrencyRow(ConcurrencyMethods.CmdletGroup, method, parallel ? plan.Threads : 1, expected,
                    TimeSpan.FromMilliseconds(totals.GetProperty("elapsedMs").GetDouble()), TimeSpan.FromMilliseconds(totals.GetProperty("cpuMs").GetDouble()),
                    written.ValueKind == JsonValueKind.Number ? written.GetInt64() : null, null));
            }
            Directory.Delete(stateDirectory, recursive: true);
            return rows;
        }

        private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
