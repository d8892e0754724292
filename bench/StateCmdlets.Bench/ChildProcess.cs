using System;
using System.Diagnostics;
using System.Linq;

namespace StateCmdlets.Bench
{
    /// <summary>Runs a child to completion and returns its standard output; any failure throws with its stderr.</summary>
    internal static class ChildProcess
    {
        internal static string Run(string fileName, TimeSpan timeout, params string[] arguments)
        {
            var start = new ProcessStartInfo(fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
            // Read both pipes at once: a child blocked on a full stderr would never exit.
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{fileName}' did not finish within {timeout.TotalMinutes:0} min.");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}:\n{stderr.Result}{stdout.Result}");
            return stdout.Result;
        }

        /// <summary>The last non-empty line: where the children print their result.</summary>
        internal static string LastLine(string output) =>
            output.Split('\n').Select(line => line.Trim()).LastOrDefault(line => line.Length > 0)
            ?? throw new InvalidOperationException("The child printed nothing.");
    }
}
