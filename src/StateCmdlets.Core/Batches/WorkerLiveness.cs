using System;
using System.Diagnostics;
using System.IO;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Whether the process behind a claim may still be alive. Only a process of this very machine
    /// can be known dead (no process with its id): its claims are free at once, so a script killed
    /// and started again does not wait a lease for its own items. Anything else (another machine,
    /// a process that exists, a reused process id) counts as alive, and its lease decides.
    /// </summary>
    internal static class WorkerLiveness
    {
        private static readonly int CurrentProcessId = GetCurrentProcessId();

        public static bool MayBeAlive(WorkerIdentity worker)
        {
            if (!string.Equals(worker.Host, Environment.MachineName, StringComparison.Ordinal)) return true;
            if (worker.ProcessId == CurrentProcessId) return true;
            return ProcessExists(worker.ProcessId);
        }

        private static bool ProcessExists(int processId)
        {
            if (processId <= 0) return false;
            // /proc answers without the cost (and the handle) of opening the process.
            if (Directory.Exists("/proc/self")) return Directory.Exists("/proc/" + processId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                using (var process = Process.GetProcessById(processId)) return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        private static int GetCurrentProcessId()
        {
            using (var process = Process.GetCurrentProcess()) return process.Id;
        }
    }
}
