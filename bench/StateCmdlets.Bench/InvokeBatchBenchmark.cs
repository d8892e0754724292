using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Invoke-Batch as a script sees it (issue 11), in a child pwsh with the staged module (timed
    /// inside pwsh, so process start and module import are not counted; a warm-up comes first):
    /// 200 items of 50 ms at -ThrottleLimit 8 against the ideal 200 x 50 ms / 8, and the per-item
    /// cost on empty blocks next to ForEach-Object -Parallel's at the same throttle limit.
    /// </summary>
    internal sealed class InvokeBatchBenchmark
    {
        private const string ScriptName = "InvokeBatch.ps1";

        private readonly string _pwsh;
        private readonly string _moduleManifest;

        internal InvokeBatchBenchmark(string pwsh, string moduleManifest)
        {
            _pwsh = pwsh;
            _moduleManifest = moduleManifest;
        }

        internal InvokeBatchReport Run(string folder, bool quick)
        {
            string stateDirectory = Path.Combine(folder, "invoke-batch");
            string script = Path.Combine(AppContext.BaseDirectory, ScriptName);
            string output = ChildProcess.Run(_pwsh, TimeSpan.FromMinutes(10),
                "-NoProfile", "-NonInteractive", "-File", script,
                "-ModuleManifest", _moduleManifest, "-StateDirectory", stateDirectory,
                "-Rounds", (quick ? 1 : 5).ToString(CultureInfo.InvariantCulture));
            using var result = JsonDocument.Parse(ChildProcess.LastLine(output));
            var root = result.RootElement;
            double[] Array(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Directory.Delete(stateDirectory, recursive: true);
            return new InvokeBatchReport(
                root.GetProperty("items").GetInt32(), root.GetProperty("workMs").GetInt32(), root.GetProperty("throttleLimit").GetInt32(), Array("sleepingMs"),
                root.GetProperty("emptyItems").GetInt32(), Array("invokeBatchMs"), Array("parallelMs"))
            {
                ParallelSleepingMs = Array("parallelSleepingMs"),
            };
        }
    }
}
