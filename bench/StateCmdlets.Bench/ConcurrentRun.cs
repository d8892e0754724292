using System;
using System.Diagnostics;
using System.Threading;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Times one <see cref="IConcurrentMethod"/>: one dedicated thread per writer (not the thread
    /// pool, whose slow ramp-up would be timed), all released together; the clock runs from the
    /// release to the moment the last writer is done, so the rate is durable results per second
    /// of wall time.
    /// </summary>
    internal static class ConcurrentRun
    {
        internal static ConcurrencyRow Time(IConcurrentMethod method, string group)
        {
            try
            {
                method.Prepare();
                int writers = method.Writers;
                var ready = new CountdownEvent(writers);
                var go = new ManualResetEventSlim(false);
                var errors = new Exception?[writers];
                var threads = new Thread[writers];
                for (int w = 0; w < writers; w++)
                {
                    int writer = w;
                    threads[w] = new Thread(() =>
                    {
                        ready.Signal();
                        go.Wait();
                        try { method.Write(writer); }
                        catch (Exception e) { errors[writer] = e; }
                    }) { IsBackground = true, Name = $"{method.Name} writer {writer}" };
                    threads[w].Start();
                }
                ready.Wait();
                DiskSync.FlushAll();
                long? before = ProcessIo.WrittenBytes();
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                long start = Stopwatch.GetTimestamp();
                go.Set();
                foreach (var thread in threads) thread.Join();
                long end = Stopwatch.GetTimestamp();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                long? after = ProcessIo.WrittenBytes();
                foreach (var error in errors)
                    if (error != null) throw new InvalidOperationException($"A writer of '{method.Name}' failed.", error);
                long? fsyncs = method.Fsyncs;
                method.VerifyAndClean();
                return new ConcurrencyRow(group, method.Name, writers, method.Results,
                    TimeSpan.FromSeconds((double)(end - start) / Stopwatch.Frequency), cpu, after - before, fsyncs);
            }
            finally
            {
                method.Dispose();
            }
        }
    }
}
