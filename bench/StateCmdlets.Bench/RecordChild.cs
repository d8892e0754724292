using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Several processes recording into one batch: this program started again once per process
    /// (record-child), each recording its own share of the features through the core API. Each
    /// child warms up on a batch of its own, says it is ready, and starts when the harness writes a
    /// line to its standard input, so process start, JIT and the warm-up stay out of the time; the
    /// time of the run is from the first child's start to the last child's end (Stopwatch is the
    /// monotonic clock, the same in every process of the machine).
    /// </summary>
    internal static class RecordChild
    {
        internal const string Verb = "record-child";

        private const string Ready = "ready";
        private const string BatchId = "bench-processes";
        private const string FlushTrace = "Wrote record(s)";
        private const int WarmUpFeatures = 50;

        /// <summary>In the child: record-child &lt;state directory&gt; &lt;writer&gt; &lt;writers&gt; &lt;results&gt;; prints one JSON line.</summary>
        internal static int Execute(string[] args)
        {
            if (args.Length != 5) throw new ArgumentException($"usage: {Verb} <state directory> <writer> <writers> <results>");
            string stateDirectory = args[1];
            int writer = int.Parse(args[2], CultureInfo.InvariantCulture);
            int writers = int.Parse(args[3], CultureInfo.InvariantCulture);
            int results = int.Parse(args[4], CultureInfo.InvariantCulture);
            var names = FeatureNames.For(results);

            WarmUp(stateDirectory + "-warm-" + writer);
            long flushes = 0;
            var store = new FileBatchStore(stateDirectory, new FileStoreOptions
            {
                Trace = line => { if (line.StartsWith(FlushTrace, StringComparison.Ordinal)) flushes++; },
            });
            Console.WriteLine(Ready);
            Console.Out.Flush();
            if (Console.ReadLine() == null) return 1;

            long? before = ProcessIo.WrittenBytes();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            int recorded = 0;
            for (int i = writer; i < results; i += writers)
            {
                store.Record(BatchId, new FeatureResult(names[i], FeatureStatus.Completed), CancellationToken.None);
                recorded++;
            }
            long end = Stopwatch.GetTimestamp();
            double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
            long? after = ProcessIo.WrittenBytes();
            Console.WriteLine(JsonSerializer.Serialize(new { start, end, cpuMs, recorded, written = after - before, fsyncs = flushes }));
            return 0;
        }

        /// <summary>In the harness: a fresh batch of <paramref name="results"/> features, recorded by <paramref name="processes"/> children at once.</summary>
        internal static ConcurrencyRow Run(string folder, int processes, int results, int round)
        {
            string stateDirectory = Path.Combine(folder, $"processes-{processes}-{round}");
            new FileBatchStore(stateDirectory).Create(new BatchDefinition("bench", FeatureNames.For(results)) { BatchId = BatchId }, replace: false, CancellationToken.None);

            var children = new List<Process>();
            try
            {
                for (int w = 0; w < processes; w++) children.Add(Start(stateDirectory, w, processes, results));
                foreach (var child in children) AwaitReady(child);
                DiskSync.FlushAll();
                foreach (var child in children)
                {
                    child.StandardInput.WriteLine("go");
                    child.StandardInput.Flush();
                }
                var outputs = children.Select(child => child.StandardOutput.ReadToEndAsync()).ToList();
                var errors = children.Select(child => child.StandardError.ReadToEndAsync()).ToList();
                long first = long.MaxValue, last = long.MinValue, written = 0, fsyncs = 0;
                double cpuMs = 0;
                int recorded = 0;
                bool bytesKnown = true;
                for (int w = 0; w < processes; w++)
                {
                    if (!children[w].WaitForExit(TimeSpan.FromMinutes(10))) throw new TimeoutException($"{Verb} {w} did not finish within 10 min.");
                    children[w].WaitForExit();
                    if (children[w].ExitCode != 0) throw new InvalidOperationException($"{Verb} {w} of {processes} exited with {children[w].ExitCode}:\n{errors[w].Result}{outputs[w].Result}");
                    using var result = JsonDocument.Parse(ChildProcess.LastLine(outputs[w].Result));
                    var root = result.RootElement;
                    first = Math.Min(first, root.GetProperty("start").GetInt64());
                    last = Math.Max(last, root.GetProperty("end").GetInt64());
                    recorded += root.GetProperty("recorded").GetInt32();
                    cpuMs += root.GetProperty("cpuMs").GetDouble();
                    fsyncs += root.GetProperty("fsyncs").GetInt64();
                    var bytes = root.GetProperty("written");
                    if (bytes.ValueKind == JsonValueKind.Number) written += bytes.GetInt64();
                    else bytesKnown = false;
                }
                if (recorded != results) throw new InvalidOperationException($"The children recorded {recorded} of {results} results.");
                var batch = new FileBatchStore(stateDirectory).Load(BatchId);
                if (batch.Completed != results) throw new InvalidOperationException($"Batch '{BatchId}' in '{stateDirectory}' has {batch.Completed} of {results} features completed after the run.");
                return new ConcurrencyRow(ConcurrencyMethods.ProcessGroup, processes == 1 ? ConcurrencyMethods.Process : ConcurrencyMethods.Processes, processes, results,
                    TimeSpan.FromSeconds((double)(last - first) / Stopwatch.Frequency), TimeSpan.FromMilliseconds(cpuMs), bytesKnown ? written : null, fsyncs);
            }
            finally
            {
                foreach (var child in children)
                {
                    if (!child.HasExited) child.Kill(entireProcessTree: true);
                    child.Dispose();
                }
                if (Directory.Exists(stateDirectory)) Directory.Delete(stateDirectory, recursive: true);
            }
        }

        private static void WarmUp(string stateDirectory)
        {
            var store = new FileBatchStore(stateDirectory);
            var names = FeatureNames.For(WarmUpFeatures);
            store.Create(new BatchDefinition("warm-up", names) { BatchId = "warm-up" }, replace: false, CancellationToken.None);
            foreach (string name in names) store.Record("warm-up", new FeatureResult(name, FeatureStatus.Completed), CancellationToken.None);
            store.Load("warm-up");
            Directory.Delete(stateDirectory, recursive: true);
        }

        private static Process Start(string stateDirectory, int writer, int writers, int results)
        {
            string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
            var start = new ProcessStartInfo(host)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // Under `dotnet StateCmdlets.Bench.dll` the process is dotnet itself: pass it the assembly.
            if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
                start.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
            foreach (string argument in new[] { Verb, stateDirectory, Text(writer), Text(writers), Text(results) }) start.ArgumentList.Add(argument);
            return Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{host}'.");
        }

        private static void AwaitReady(Process child)
        {
            var line = child.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromMinutes(2)) || line.Result != Ready)
                throw new InvalidOperationException($"{Verb} did not say it was ready (it said '{(line.IsCompleted ? line.Result : "nothing")}'):\n{(child.HasExited ? child.StandardError.ReadToEnd() : string.Empty)}");
        }

        private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
