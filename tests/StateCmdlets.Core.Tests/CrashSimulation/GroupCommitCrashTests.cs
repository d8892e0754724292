using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using Xunit;

namespace StateCmdlets.Core.Tests.CrashSimulation
{
    /// <summary>
    /// Group commit under the crash simulator: threads record at once, their records share writes
    /// and fsyncs, and a crash at any moment keeps every record whose call had returned by then.
    /// </summary>
    public sealed class GroupCommitCrashTests
    {
        private const int Threads = 4;
        private const int RecordsPerThread = 8;

        [Fact]
        public void Every_record_whose_call_returned_survives_a_crash_at_any_later_moment()
        {
            var disk = new SimulatedDisk();
            long tick = 0;
            var options = new FileStoreOptions
            {
                FileSystem = disk,
                FoldMinimumBytes = 2048, // folds happen in the middle of the run too
                UtcNow = () => new DateTime(2026, 12, 5, 10, 0, 0, DateTimeKind.Utc).AddTicks(Interlocked.Increment(ref tick) * 10000),
            };
            var names = Enumerable.Range(0, Threads * RecordsPerThread).Select(i => $"f{i:00}").ToArray();
            new FileBatchStore(SimulatedDisk.Folder, options).Create(new BatchDefinition("group", names.Concat(new[] { "spare" }).ToArray()) { BatchId = CrashChecker.BatchId }, false, CancellationToken.None);

            var acknowledged = new List<string>();
            var moments = new List<(List<DiskImage> Images, string[] Acknowledged)>();
            int journalFlushes = 0;
            disk.BeforeChange = () =>
            {
                string[] acked;
                lock (acknowledged) acked = acknowledged.ToArray();
                moments.Add((disk.CrashImages(), acked));
                Thread.Sleep(1); // a write takes time: writers arriving meanwhile join the next group
            };
            var start = new Barrier(Threads);
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                var store = new FileBatchStore(SimulatedDisk.Folder, options);
                start.SignalAndWait();
                for (int i = t; i < names.Length; i += Threads)
                {
                    store.Record(CrashChecker.BatchId, new FeatureResult(names[i], FeatureStatus.Completed), CancellationToken.None);
                    lock (acknowledged) acknowledged.Add(names[i]);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            disk.BeforeChange = null;
            moments.Add((disk.CrashImages(), acknowledged.ToArray()));
            journalFlushes = disk.FsyncSites.TryGetValue("fsync of journal append", out int n) ? n : 0;

            Assert.Equal(names.Length, new FileBatchStore(SimulatedDisk.Folder, options).Load(CrashChecker.BatchId).Completed);
            // Grouped: fewer journal fsyncs than records (each fold also stands for the records it holds).
            Assert.True(journalFlushes < names.Length, $"{journalFlushes} journal fsyncs for {names.Length} records: no group formed");

            int states = 0;
            var problems = new List<string>();
            foreach (var (images, acked) in moments)
            {
                foreach (var image in images)
                {
                    states++;
                    try
                    {
                        var batch = new FileBatchStore(SimulatedDisk.Folder, new FileStoreOptions { FileSystem = new SimulatedDisk(image) }).Load(CrashChecker.BatchId);
                        var missing = acked.Where(name => batch.Find(name)!.Status != FeatureStatus.Completed).ToList();
                        if (missing.Count > 0) problems.Add($"acknowledged but lost: {string.Join(", ", missing)}");
                    }
                    catch (Exception e)
                    {
                        problems.Add($"does not load: {e.GetType().Name}: {e.Message}");
                    }
                }
            }
            Assert.True(states > 50, $"only {states} crash states looked at");
            Assert.True(problems.Count == 0, string.Join("\n", problems.Distinct().Take(5)));
        }
    }
}
