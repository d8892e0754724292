using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Ours through the core API with several threads on one batch: each thread has its own
    /// FileBatchStore (as each runspace of ForEach-Object -Parallel has) and records its own
    /// features, FileBatchStore.Record each, durable on return. Writers of one batch in one process
    /// share a commit group: one write and one fsync cover every record waiting at the time. The
    /// stores' trace lines count the fsyncs (one per journal flush; folds not counted). Without fsync (the same
    /// writes through <see cref="NoSyncFileSystem"/>, shared by the writers' stores as the disk is),
    /// it is the CPU's limit: what the store and the commit group cost when the disk costs nothing.
    /// </summary>
    internal sealed class CoreRecordThreads : IConcurrentMethod
    {
        // The start of the store's trace line for a journal flush.
        private const string FlushTrace = "Wrote record(s)";

        private readonly string _stateDirectory;
        private readonly string _batchId;
        private readonly IReadOnlyList<string> _names;
        private readonly FileBatchStore[] _stores;
        private readonly bool _skipFsync;
        private long _flushes;

        internal CoreRecordThreads(string folder, int writers, int results, int round, bool skipFsync)
        {
            _stateDirectory = Path.Combine(folder, $"core-threads-{(skipFsync ? "nosync" : "fsync")}-{writers}-{round}");
            _skipFsync = skipFsync;
            _batchId = "bench-threads";
            Writers = writers;
            Results = results;
            _names = FeatureNames.For(results);
            _stores = new FileBatchStore[writers];
            // Each writer its own store (and options), as each runspace builds its own; one file system, as one disk.
            IFileSystem fs = skipFsync ? new NoSyncFileSystem() : PhysicalFileSystem.Instance;
            for (int w = 0; w < writers; w++) _stores[w] = new FileBatchStore(_stateDirectory, new FileStoreOptions { Trace = Count, FileSystem = fs });
        }

        public string Name => _skipFsync
            ? Writers == 1 ? ConcurrencyMethods.CoreNoSync : ConcurrencyMethods.CoreThreadsNoSync
            : Writers == 1 ? ConcurrencyMethods.Core : ConcurrencyMethods.CoreThreads;

        public int Writers { get; }

        public int Results { get; }

        /// <summary>Journal flushes (each an fsync, unless skipped: then the writes it would have covered).</summary>
        public long? Fsyncs => _skipFsync ? null : Interlocked.Read(ref _flushes);

        public void Prepare()
        {
            _stores[0].Create(new BatchDefinition("bench", _names) { BatchId = _batchId }, replace: false, CancellationToken.None);
            Interlocked.Exchange(ref _flushes, 0);
        }

        public void Write(int writer)
        {
            var store = _stores[writer];
            for (int i = writer; i < Results; i += Writers)
                store.Record(_batchId, new FeatureResult(_names[i], FeatureStatus.Completed), CancellationToken.None);
        }

        public void VerifyAndClean()
        {
            var batch = new FileBatchStore(_stateDirectory).Load(_batchId);
            if (batch.Completed != Results) throw new InvalidOperationException($"Batch '{_batchId}' in '{_stateDirectory}' has {batch.Completed} of {Results} features completed after the run.");
            Directory.Delete(_stateDirectory, recursive: true);
        }

        public void Dispose() { }

        private void Count(string line)
        {
            if (line.StartsWith(FlushTrace, StringComparison.Ordinal)) Interlocked.Increment(ref _flushes);
        }
    }
}
