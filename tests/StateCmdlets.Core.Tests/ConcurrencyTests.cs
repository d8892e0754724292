using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace StateCmdlets.Core.Tests
{
    /// <summary>Real processes (and threads) writing one batch at once: no update may be lost.</summary>
    public sealed class ConcurrencyTests : IDisposable
    {
        private static readonly TimeSpan Long = TimeSpan.FromMinutes(2);
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public ConcurrencyTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        private static string[] Names(int count) => Enumerable.Range(0, count).Select(i => $"f{i:000}").ToArray();

        private FileBatchStore Store() => new FileBatchStore(_dir.State);

        private void CreateBatch(string[] features) =>
            Store().Create(new BatchDefinition("concurrent", features) { BatchId = "b1" }, false, CancellationToken.None);

        [Fact]
        public void Four_processes_recording_disjoint_features_lose_nothing()
        {
            var features = Names(200);
            CreateBatch(features);
            var workers = Enumerable.Range(0, 4)
                .Select(w => WorkerProcess.Start(new[] { "record", _dir.State, "b1" }.Concat(features.Where((_, i) => i % 4 == w)).ToArray()))
                .ToList();
            var acks = workers.SelectMany(p => WorkerProcess.RunToEnd(p, Long)).ToList();

            Assert.Equal(200, acks.Count(l => l.StartsWith("ack ", StringComparison.Ordinal)));
            var batch = Store().Load("b1");
            Assert.All(batch.Features, f => Assert.Equal((FeatureStatus.Completed, 1), (f.Status, f.Attempts)));
            Assert.Equal(BatchStatus.Completed, batch.Status);
        }

        [Fact]
        public void Four_threads_with_their_own_stores_lose_nothing()
        {
            var features = Names(100);
            CreateBatch(features);
            Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
            {
                var store = Store();
                foreach (string f in features.Where((_, i) => i % 4 == w))
                    store.Record("b1", new FeatureResult(f, FeatureStatus.Completed), CancellationToken.None);
            });
            Assert.All(Store().Load("b1").Features, f => Assert.Equal((FeatureStatus.Completed, 1), (f.Status, f.Attempts)));
        }

        [Fact]
        public void A_writer_killed_mid_stream_keeps_every_acknowledged_result()
        {
            var features = Names(300);
            CreateBatch(features);
            using var worker = WorkerProcess.Start(new[] { "record", _dir.State, "b1" }.Concat(features).ToArray());
            var acknowledged = new List<string>();
            var clock = Stopwatch.StartNew();
            while (acknowledged.Count < 60 && clock.Elapsed < Long)
            {
                string? line = worker.StandardOutput.ReadLine();
                if (line == null) break;
                if (line.StartsWith("ack ", StringComparison.Ordinal)) acknowledged.Add(line.Substring(4));
            }
            worker.Kill();
            worker.WaitForExit();
            Assert.True(acknowledged.Count >= 60, "the worker should have acknowledged 60 results before the kill");

            var batch = Store().Load("b1");
            Assert.All(acknowledged, name => Assert.Equal(FeatureStatus.Completed, batch.Find(name)!.Status));
            // Resume hands out exactly what is not recorded.
            Assert.Equal(features.Where(f => batch.Find(f)!.Status == FeatureStatus.Pending), batch.Remaining(true).Select(f => f.Name));
        }

        [Fact]
        public void A_reader_that_takes_no_lock_always_sees_a_whole_snapshot_and_whole_journal_lines()
        {
            string? python = FindOnPath("python3");
            if (python == null)
            {
                _output.WriteLine("python3 not found: the lock-free reader check did not run.");
                return;
            }
            var features = Names(300);
            CreateBatch(features);
            string stop = Path.Combine(_dir.Root, "stop");
            // Python, not .NET: .NET's FileShare emulation would hide an in-place write from a .NET reader.
            // Every snapshot must parse; every journal line but a last unterminated one must parse.
            const string script = @"
import json, os, sys
snapshot, journal, stop = sys.argv[1], sys.argv[2], sys.argv[3]
reads = bad = 0
print('ready', flush=True)
while not os.path.exists(stop):
    with open(snapshot, 'rb') as f:
        data = f.read()
    try:
        json.loads(data)
        reads += 1
    except ValueError:
        bad += 1
    try:
        with open(journal, 'rb') as f:
            lines = f.read().split(b'\n')
    except FileNotFoundError:
        continue
    for line in lines[:-1]:
        try:
            json.loads(line)
        except ValueError:
            bad += 1
print(reads, bad)
";
            var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in new[] { "-c", script, Path.Combine(_dir.State, "b1.json"), Path.Combine(_dir.State, "b1.journal"), stop })
                info.ArgumentList.Add(arg);
            using var reader = Process.Start(info)!;
            Assert.Equal("ready", reader.StandardOutput.ReadLine());

            // Writers that compact after nearly every record, so the snapshot is replaced hundreds of times.
            var writers = Enumerable.Range(0, 2)
                .Select(w => WorkerProcess.Start(new[] { "record-compacting", _dir.State, "b1" }.Concat(features.Where((_, i) => i % 2 == w)).ToArray()))
                .ToList();
            foreach (var w in writers) WorkerProcess.RunToEnd(w, Long);
            File.WriteAllText(stop, "");
            Assert.True(reader.WaitForExit((int)Long.TotalMilliseconds));
            var counts = reader.StandardOutput.ReadToEnd().Trim().Split(' ').Select(int.Parse).ToArray();
            _output.WriteLine($"lock-free reader: {counts[0]} whole snapshots, {counts[1]} unparseable");
            Assert.True(counts[0] > 0);
            Assert.Equal(0, counts[1]);
            Assert.Equal(300, Store().Load("b1").Completed);
        }

        private static string? FindOnPath(string program) =>
            (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
                .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }
}
