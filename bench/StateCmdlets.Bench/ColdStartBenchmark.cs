using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// What a scheduled task pays to start: a fresh pwsh that only exits, one that imports the
    /// module and runs one Get-BatchState, and one whose first call is Resume-BatchState of a
    /// 100,000-feature batch whose every result is still in the journal. They run in turn, round
    /// after round, so a slow minute slows them alike; each is the median of its rounds and is read
    /// as a ratio to the bare pwsh of the same run. With baselines (other builds of the module, such
    /// as main's), each round runs every module's children, so before and after share the machine.
    /// </summary>
    internal sealed class ColdStartBenchmark
    {
        internal const int ResumeSize = 100_000;
        private const string SmallBatchId = "cold-small";

        private readonly string _pwsh;
        private readonly IReadOnlyList<(string Label, string Manifest)> _modules;

        internal ColdStartBenchmark(string pwsh, IReadOnlyList<(string Label, string Manifest)> modules)
        {
            _pwsh = pwsh;
            _modules = modules;
        }

        internal ColdStartReport Run(string folder, int rounds)
        {
            string small = Path.Combine(folder, "cold-small");
            new FileBatchStore(small).Create(new BatchDefinition("cold start", FeatureNames.For(10)) { BatchId = SmallBatchId }, replace: false, CancellationToken.None);
            string large = Path.Combine(folder, "cold-large");
            JournalLoadBenchmark.Fill(large, ResumeSize);
            // Resume-BatchState claims what it hands out (journal records): every child starts from these same files.
            var files = Directory.GetFiles(large).ToDictionary(path => path, File.ReadAllBytes);

            string resumeScript = Path.Combine(AppContext.BaseDirectory, "CmdletResume.ps1");
            var bare = new List<double>();
            var get = _modules.Select(_ => new List<double>()).ToArray();
            var resume = _modules.Select(_ => new List<double>()).ToArray();
            var resumeInside = _modules.Select(_ => new List<double>()).ToArray();
            // One untimed round first: the files of pwsh and the modules come into the page cache.
            for (int round = -1; round < rounds; round++)
            {
                double b = Wall(out _, "-NoProfile", "-NonInteractive", "-Command", "exit");
                if (round >= 0) bare.Add(b);
                for (int m = 0; m < _modules.Count; m++)
                {
                    string manifest = _modules[m].Manifest;
                    string getCommand = $"Import-Module '{Quote(manifest)}'; Get-BatchState -BatchId {SmallBatchId} -StateDirectory '{Quote(small)}' | Out-Null";
                    double g = Wall(out _, "-NoProfile", "-NonInteractive", "-Command", getCommand);
                    Restore(large, files);
                    double r = Wall(out string output, "-NoProfile", "-NonInteractive", "-File", resumeScript,
                        "-ModuleManifest", manifest, "-StateDirectory", large, "-BatchId", JournalLoadBenchmark.BatchId);
                    using var result = JsonDocument.Parse(ChildProcess.LastLine(output));
                    int remaining = result.RootElement.GetProperty("remaining").GetInt32();
                    if (remaining != 1) throw new InvalidOperationException($"The cold Resume-BatchState ({_modules[m].Label}) emitted {remaining} features, not 1.");
                    if (round < 0) continue;
                    get[m].Add(g);
                    resume[m].Add(r);
                    resumeInside[m].Add(result.RootElement.GetProperty("elapsedMs").GetDouble());
                }
            }
            Directory.Delete(small, recursive: true);
            Directory.Delete(large, recursive: true);
            var rows = _modules.Select((module, m) => new ColdStartRow(module.Label, Median(get[m]), Median(resume[m]), Median(resumeInside[m]))).ToList();
            return new ColdStartReport(rounds, Median(bare), rows);
        }

        private double Wall(out string output, params string[] arguments)
        {
            var clock = Stopwatch.StartNew();
            output = ChildProcess.Run(_pwsh, TimeSpan.FromMinutes(5), arguments);
            clock.Stop();
            return clock.Elapsed.TotalMilliseconds;
        }

        private static void Restore(string folder, Dictionary<string, byte[]> files)
        {
            foreach (string path in Directory.GetFiles(folder))
                if (!files.ContainsKey(path)) File.Delete(path);
            foreach (var (path, bytes) in files) File.WriteAllBytes(path, bytes);
        }

        private static string Quote(string path) => path.Replace("'", "''");

        private static double Median(List<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            int middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }
}
