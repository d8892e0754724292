using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// What a scheduled task pays to start: a fresh pwsh that only exits, one that imports the
    /// module and runs one Get-BatchState, and one whose first call is Resume-BatchState of a
    /// 100,000-feature batch whose every result is still in the journal. The three run in turn,
    /// round after round, so a slow minute slows them alike; each is the median of its rounds and
    /// is read as a ratio to the bare pwsh of the same run.
    /// </summary>
    internal sealed class ColdStartBenchmark
    {
        internal const int ResumeSize = 100_000;
        private const string SmallBatchId = "cold-small";

        private readonly string _pwsh;
        private readonly string _moduleManifest;

        internal ColdStartBenchmark(string pwsh, string moduleManifest)
        {
            _pwsh = pwsh;
            _moduleManifest = moduleManifest;
        }

        internal ColdStartReport Run(string folder, int rounds)
        {
            string small = Path.Combine(folder, "cold-small");
            new BatchStore(small).Create(new BatchDefinition("cold start", FeatureNames.For(10)) { BatchId = SmallBatchId }, replace: false, CancellationToken.None);
            string large = Path.Combine(folder, "cold-large");
            JournalLoadBenchmark.Fill(large, ResumeSize);

            string resumeScript = Path.Combine(AppContext.BaseDirectory, "CmdletResume.ps1");
            string getCommand = $"Import-Module '{Quote(_moduleManifest)}'; Get-BatchState -BatchId {SmallBatchId} -StateDirectory '{Quote(small)}' | Out-Null";
            var bare = new List<double>();
            var get = new List<double>();
            var resume = new List<double>();
            var resumeInside = new List<double>();
            // One untimed round first: the files of pwsh and the module come into the page cache.
            for (int round = -1; round < rounds; round++)
            {
                double b = Wall(out _, "-NoProfile", "-NonInteractive", "-Command", "exit");
                double g = Wall(out _, "-NoProfile", "-NonInteractive", "-Command", getCommand);
                double r = Wall(out string output, "-NoProfile", "-NonInteractive", "-File", resumeScript,
                    "-ModuleManifest", _moduleManifest, "-StateDirectory", large, "-BatchId", JournalLoadBenchmark.BatchId);
                using var result = JsonDocument.Parse(ChildProcess.LastLine(output));
                int remaining = result.RootElement.GetProperty("remaining").GetInt32();
                if (remaining != 1) throw new InvalidOperationException($"The cold Resume-BatchState emitted {remaining} features, not 1.");
                if (round < 0) continue;
                bare.Add(b);
                get.Add(g);
                resume.Add(r);
                resumeInside.Add(result.RootElement.GetProperty("elapsedMs").GetDouble());
            }
            Directory.Delete(small, recursive: true);
            Directory.Delete(large, recursive: true);
            return new ColdStartReport(rounds, Median(bare), Median(get), Median(resume), Median(resumeInside));
        }

        private double Wall(out string output, params string[] arguments)
        {
            var clock = Stopwatch.StartNew();
            output = ChildProcess.Run(_pwsh, TimeSpan.FromMinutes(5), arguments);
            clock.Stop();
            return clock.Elapsed.TotalMilliseconds;
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
