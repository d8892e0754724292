using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace StateCmdlets.Core.Tests
{
    /// <summary>
    /// Real writer processes killed with SIGKILL at random moments, over and over; after every kill
    /// a reader checks the batch loads and holds every result a writer acknowledged. About 30 s in
    /// all; set STATECMDLETS_SOAK_SECONDS for a longer soak run.
    /// </summary>
    public sealed class TortureTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public TortureTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        private static TimeSpan Budget(double defaultSeconds)
        {
            string? soak = Environment.GetEnvironmentVariable("STATECMDLETS_SOAK_SECONDS");
            return TimeSpan.FromSeconds(soak != null ? double.Parse(soak, CultureInfo.InvariantCulture) : defaultSeconds);
        }

        [Fact]
        public void A_writer_killed_at_random_moments_never_loses_an_acknowledged_result()
        {
            var outcome = Torture(writers: 1, Budget(14), seed: 1);
            _output.WriteLine($"torture, one writer: {outcome.Kills} kills, {outcome.Acks} acknowledged results, all present");
            Assert.True(outcome.Kills >= 5, $"only {outcome.Kills} kills in the time budget");
        }

        [Fact]
        public void Several_writers_killed_at_random_never_share_the_lock_nor_lose_a_result()
        {
            var outcome = Torture(writers: 3, Budget(14), seed: 2);
            _output.WriteLine($"torture, three writers: {outcome.Kills} kills, {outcome.Acks} acknowledged results, no overlap, all present");
            Assert.True(outcome.Kills >= 5, $"only {outcome.Kills} kills in the time budget");
        }

        private (int Kills, int Acks) Torture(int writers, TimeSpan budget, int seed)
        {
            var random = new Random(seed);
            // Each writer owns a disjoint set of features, so what it acknowledged can be checked exactly.
            var features = Enumerable.Range(0, writers * 12).Select(i => $"f{i:000}").ToArray();
            var owned = Enumerable.Range(0, writers).Select(w => features.Where((_, i) => i % writers == w).ToArray()).ToArray();
            new FileBatchStore(_dir.State).Create(new BatchDefinition("torture", features) { BatchId = "t" }, false, CancellationToken.None);
            string marker = Path.Combine(_dir.Root, "holder");
            var model = features.ToDictionary(f => f, _ => (Attempts: 0, Status: FeatureStatus.Pending), StringComparer.Ordinal);
            int kills = 0, acks = 0;
            var clock = Stopwatch.StartNew();

            while (clock.Elapsed < budget)
            {
                var processes = Enumerable.Range(0, writers)
                    .Select(w => WorkerProcess.Start(new[] { "hammer", _dir.State, "t", random.Next().ToString(CultureInfo.InvariantCulture), marker }.Concat(owned[w]).ToArray()))
                    .ToList();
                var readers = processes.Select(p => System.Threading.Tasks.Task.Run(() => ReadAll(p))).ToList();
                Thread.Sleep(random.Next(50, 600));
                foreach (var p in processes)
                {
                    Thread.Sleep(random.Next(0, 40));
                    try { p.Kill(); } catch (InvalidOperationException) { }
                }
                foreach (var p in processes) Assert.True(p.WaitForExit(30000), "a killed writer did not exit");
                kills += processes.Count;
                // Every ack a writer printed before it died is still in the pipe: read to the end.
                var lines = readers.SelectMany(r => r.Result).ToList();
                foreach (var p in processes) p.Dispose();
                var overlap = lines.FirstOrDefault(l => l.StartsWith("OVERLAP", StringComparison.Ordinal));
                Assert.True(overlap == null, $"two processes held the lock at once: {overlap}");
                var acked = lines.Where(l => l.StartsWith("ack ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
                acks += acked.Count;
                foreach (var a in acked) model[a[1]] = (model[a[1]].Attempts + 1, Enum.Parse<FeatureStatus>(a[2]));

                // The reader: a fresh store, as another process would load it.
                var batch = new FileBatchStore(_dir.State).Load("t");
                int inFlight = 0;
                foreach (var feature in batch.Features)
                {
                    var expected = model[feature.Name];
                    if (feature.Attempts == expected.Attempts)
                    {
                        Assert.Equal(expected.Status, feature.Status);
                        continue;
                    }
                    // Only a result in flight at the kill may be there unacknowledged: one per writer.
                    Assert.True(feature.Attempts == expected.Attempts + 1,
                        $"{feature.Name}: {feature.Attempts} attempts on disk, {expected.Attempts} acknowledged (after {kills} kills)");
                    inFlight++;
                    model[feature.Name] = (feature.Attempts, feature.Status);
                }
                Assert.True(inFlight <= writers, $"{inFlight} unacknowledged results landed; at most one per writer may");
            }
            return (kills, acks);
        }

        private static List<string> ReadAll(Process process)
        {
            var lines = new List<string>();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) != null) lines.Add(line);
            return lines;
        }
    }
}
