using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Times several methods side by side: each one's updates are cut into slices and the slices run
    /// round-robin, so a disk that is slower for a minute slows every method alike and the ratios
    /// between them hold. Each method's clock runs only during its own slices.
    /// </summary>
    internal static class InterleavedRun
    {
        internal static IReadOnlyList<(Measurement Measurement, LatencySummary Latency)> Run(IReadOnlyList<IUpdateMethod> methods, int slices)
        {
            int count = methods.Count;
            var ticks = new long[count][];
            var compacted = new bool[count][];
            var elapsed = new long[count];
            var written = new long?[count];
            var done = new int[count];
            try
            {
                for (int m = 0; m < count; m++)
                {
                    methods[m].Prepare();
                    ticks[m] = new long[methods[m].Updates];
                    compacted[m] = new bool[methods[m].Updates];
                    written[m] = 0;
                }
                for (int slice = 1; slice <= slices; slice++)
                {
                    for (int m = 0; m < count; m++)
                    {
                        var method = methods[m];
                        int end = (int)((long)method.Updates * slice / slices);
                        if (end == done[m]) continue;
                        DiskSync.FlushAll();
                        long? before = ProcessIo.WrittenBytes();
                        long start = Stopwatch.GetTimestamp();
                        long last = start;
                        for (int i = done[m]; i < end; i++)
                        {
                            compacted[m][i] = method.Update(i);
                            long now = Stopwatch.GetTimestamp();
                            ticks[m][i] = now - last;
                            last = now;
                        }
                        elapsed[m] += last - start;
                        long? after = ProcessIo.WrittenBytes();
                        written[m] = written[m] + (after - before);
                        done[m] = end;
                    }
                }
                var results = new List<(Measurement, LatencySummary)>(count);
                for (int m = 0; m < count; m++)
                {
                    var method = methods[m];
                    method.VerifyAndClean();
                    var measurement = new Measurement(method.Name, method.BatchSize, method.Updates, TimeSpan.FromSeconds((double)elapsed[m] / Stopwatch.Frequency), written[m]);
                    results.Add((measurement, LatencySummary.From(method.Name, method.BatchSize, ticks[m], compacted[m])));
                }
                return results;
            }
            finally
            {
                foreach (var method in methods) method.Dispose();
            }
        }
    }
}
