using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace StateCmdlets.Core.Tests.Support
{
    /// <summary>Starts the TestWorker program as a real child process.</summary>
    public static class WorkerProcess
    {
        public static Process Start(params string[] args)
        {
            string worker = Path.Combine(AppContext.BaseDirectory, "StateCmdlets.TestWorker.dll");
            if (!File.Exists(worker)) throw new FileNotFoundException("The test worker was not built next to the tests.", worker);
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(worker);
            foreach (string arg in args) info.ArgumentList.Add(arg);
            return Process.Start(info) ?? throw new InvalidOperationException("Could not start the test worker.");
        }

        /// <summary>Reads stdout lines until one starts with <paramref name="prefix"/>; fails after the timeout.</summary>
        public static string WaitForLine(Process process, string prefix, TimeSpan timeout)
        {
            var task = System.Threading.Tasks.Task.Run(() =>
            {
                string? line;
                while ((line = process.StandardOutput.ReadLine()) != null)
                    if (line.StartsWith(prefix, StringComparison.Ordinal)) return line;
                return null;
            });
            if (!task.Wait(timeout)) throw new TimeoutException($"The worker printed no '{prefix}' line within {timeout}.");
            return task.Result ?? throw new InvalidOperationException($"The worker ended without '{prefix}': {process.StandardError.ReadToEnd()}");
        }

        public static List<string> RunToEnd(Process process, TimeSpan timeout)
        {
            var lines = new List<string>();
            var reader = System.Threading.Tasks.Task.Run(() =>
            {
                string? line;
                while ((line = process.StandardOutput.ReadLine()) != null) lines.Add(line);
            });
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill();
                throw new TimeoutException("The worker did not finish in time.");
            }
            reader.Wait(timeout);
            if (process.ExitCode != 0) throw new InvalidOperationException($"Worker exited {process.ExitCode}: {process.StandardError.ReadToEnd()}");
            return lines.ToList();
        }
    }
}
