using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// What resuming costs at the worst point between compactions: a batch whose every result is
    /// still in the journal (compaction turned off), loaded by a store that has nothing cached.
    /// </summary>
    internal sealed class JournalLoadBenchmark
    {
        internal const string BatchId = "long-journal";
        private const int InProcessRepeats = 3;

        private readonly string? _pwsh;
        private readonly string? _moduleManifest;

        internal JournalLoadBenchmark(string? pwsh, string? moduleManifest)
        {
            _pwsh = pwsh;
            _moduleManifest = moduleManifest;
        }

        internal JournalLoadReport Run(string folder, int batchSize)
        {
            string stateDirectory = Path.Combine(folder, "load-" + batchSize);
            var setup = Stopwatch.StartNew();
            Fill(stateDirectory, batchSize);
            setup.Stop();

            var files = new FileBatchStore(stateDirectory).Files(BatchId);
            long snapshotBytes = new FileInfo(files.Snapshot).Length;
            long journalBytes = new FileInfo(files.Journal).Length;
            // The first line is the header; the zeros allocated after the records are not lines.
            int journalRecords = File.ReadLines(files.Journal).Count(line => line.Trim('\0').Length > 0) - 1;
            if (journalRecords != batchSize)
                throw new InvalidOperationException($"'{files.Journal}' holds {journalRecords} records, not {batchSize}: something compacted it.");

            var results = new List<LoadResult>();
            results.Add(BestInProcess("this process, fresh FileBatchStore: Load + Remaining", stateDirectory));
            var (inside, process) = LoadChild.Run(stateDirectory, BatchId);
            results.Add(inside);
            results.Add(process);
            if (_pwsh != null && _moduleManifest != null) results.Add(ResumeInPwsh(stateDirectory));

            // The same batch folded into its snapshot: what the journal replay itself costs.
            new FileBatchStore(stateDirectory).Checkpoint(BatchId, CancellationToken.None);
            results.Add(BestInProcess("after Checkpoint (snapshot only), this process: Load + Remaining", stateDirectory));
            var (compactedInside, _) = LoadChild.Run(stateDirectory, BatchId);
            results.Add(new LoadResult("after Checkpoint (snapshot only), new process: Load + Remaining (timed inside)", compactedInside.Milliseconds, compactedInside.Remaining));

            foreach (var result in results)
                if (result.Remaining != 1) throw new InvalidOperationException($"{result.How}: {result.Remaining} features remaining, not 1.");
            Directory.Delete(stateDirectory, recursive: true);
            return new JournalLoadReport(batchSize, snapshotBytes, journalBytes, journalRecords, setup.Elapsed, results);
        }

        /// <summary>
        /// Every feature gets one result, each a journal record. The last one is a failure with
        /// attempts left: a finished batch compacts whatever the options say, this one does not.
        /// </summary>
        internal static void Fill(string stateDirectory, int batchSize)
        {
            var store = new FileBatchStore(stateDirectory, new FileStoreOptions
            {
                FoldMinimumBytes = long.MaxValue,
                FileSystem = new NoSyncFileSystem(),
            });
            var names = FeatureNames.For(batchSize);
            store.Create(new BatchDefinition("bench", names) { BatchId = BatchId }, replace: false, CancellationToken.None);
            for (int i = 0; i < batchSize - 1; i++)
                store.Record(BatchId, new FeatureResult(names[i], FeatureStatus.Completed), CancellationToken.None);
            store.Record(BatchId, new FeatureResult(names[batchSize - 1], FeatureStatus.Failed, "retry me"), CancellationToken.None);
        }

        private static LoadResult BestInProcess(string how, string stateDirectory)
        {
            double best = double.MaxValue;
            int remaining = -1;
            for (int i = 0; i < InProcessRepeats; i++)
            {
                var clock = Stopwatch.StartNew();
                var batch = new FileBatchStore(stateDirectory).Load(BatchId);
                remaining = batch.Remaining(includeFailed: true).Count();
                clock.Stop();
                best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
            }
            return new LoadResult(how + $" (best of {InProcessRepeats})", best, remaining);
        }

        private LoadResult ResumeInPwsh(string stateDirectory)
        {
            string script = Path.Combine(AppContext.BaseDirectory, "CmdletResume.ps1");
            string output = ChildProcess.Run(_pwsh!, TimeSpan.FromMinutes(5), "-NoProfile", "-NonInteractive", "-File", script,
                "-ModuleManifest", _moduleManifest!, "-StateDirectory", stateDirectory, "-BatchId", BatchId);
            using var result = JsonDocument.Parse(ChildProcess.LastLine(output));
            return new LoadResult("new pwsh: Resume-BatchState (first call, timed inside)",
                result.RootElement.GetProperty("elapsedMs").GetDouble(), result.RootElement.GetProperty("remaining").GetInt32());
        }
    }
}
