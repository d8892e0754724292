using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// This program started again as a fresh process that only loads a batch: the cost a script
    /// pays after a crash, with a cold runtime and a store that has nothing cached.
    /// </summary>
    internal static class LoadChild
    {
        internal const string Verb = "load-child";

        /// <summary>In the child: Load + Remaining, timed, printed as one JSON line.</summary>
        internal static int Execute(string stateDirectory, string batchId)
        {
            var clock = Stopwatch.StartNew();
            var batch = new FileBatchStore(stateDirectory).Load(batchId);
            int remaining = batch.Remaining(includeFailed: true).Count();
            clock.Stop();
            Console.WriteLine(JsonSerializer.Serialize(new { elapsedMs = clock.Elapsed.TotalMilliseconds, remaining }));
            return 0;
        }

        /// <summary>In the harness: runs the child; returns its own timing and the whole process's wall time.</summary>
        internal static (LoadResult Inside, LoadResult Process) Run(string stateDirectory, string batchId)
        {
            string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
            var arguments = new System.Collections.Generic.List<string>();
            // Under `dotnet StateCmdlets.Bench.dll` the process is dotnet itself: pass it the assembly.
            if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
                arguments.Add(Assembly.GetExecutingAssembly().Location);
            arguments.AddRange(new[] { Verb, stateDirectory, batchId });

            var wall = Stopwatch.StartNew();
            string output = ChildProcess.Run(host, TimeSpan.FromMinutes(5), arguments.ToArray());
            wall.Stop();
            using var result = JsonDocument.Parse(ChildProcess.LastLine(output));
            double inside = result.RootElement.GetProperty("elapsedMs").GetDouble();
            int remaining = result.RootElement.GetProperty("remaining").GetInt32();
            return (new LoadResult("new process: Load + Remaining (timed inside)", inside, remaining),
                    new LoadResult("new process: whole run (start, load, exit)", wall.Elapsed.TotalMilliseconds, remaining));
        }
    }
}
