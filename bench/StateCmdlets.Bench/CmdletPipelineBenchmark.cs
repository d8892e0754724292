using System;
using System.IO;
using System.Text.Json;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Ours as a script sees it: a child pwsh imports the staged module and times
    /// Resume-BatchState | Set-FeatureResult -Status Completed over every feature (a Stopwatch inside
    /// pwsh, so process start and module import are not counted), and reports its own wchar.
    /// </summary>
    internal sealed class CmdletPipelineBenchmark
    {
        private const string ScriptName = "CmdletPipeline.ps1";

        private readonly string _pwsh;
        private readonly string _moduleManifest;

        internal CmdletPipelineBenchmark(string pwsh, string moduleManifest)
        {
            _pwsh = pwsh;
            _moduleManifest = moduleManifest;
        }

        internal Measurement Run(string folder, int batchSize)
        {
            string stateDirectory = Path.Combine(folder, "cmdlet-" + batchSize);
            string script = Path.Combine(AppContext.BaseDirectory, ScriptName);
            string output = ChildProcess.Run(_pwsh, TimeSpan.FromMinutes(10),
                "-NoProfile", "-NonInteractive", "-File", script,
                "-ModuleManifest", _moduleManifest, "-StateDirectory", stateDirectory,
                "-BatchId", "bench-" + batchSize, "-Count", batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture));

            using var result = JsonDocument.Parse(ChildProcess.LastLine(output));
            var root = result.RootElement;
            int completed = root.GetProperty("completed").GetInt32();
            if (completed != batchSize) throw new InvalidOperationException($"The pwsh pipeline completed {completed} of {batchSize} features.");
            var written = root.GetProperty("written");
            long? bytes = written.ValueKind == JsonValueKind.Number ? written.GetInt64() : null;
            var elapsed = TimeSpan.FromMilliseconds(root.GetProperty("elapsedMs").GetDouble());
            Directory.Delete(stateDirectory, recursive: true);
            return new Measurement(Methods.Cmdlet, batchSize, batchSize, elapsed, bytes);
        }
    }
}
