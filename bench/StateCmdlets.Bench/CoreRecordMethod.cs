using System;
using System.IO;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Ours through the core API: FileBatchStore.Record for every feature of a fresh batch, in order,
    /// so every compaction it triggers (the last one when the batch finishes) is inside the mean.
    /// </summary>
    internal sealed class CoreRecordMethod : IUpdateMethod
    {
        // The start of the store's trace line for a snapshot rewrite; only used to count compactions.
        private const string CompactionTrace = "Wrote snapshot";

        private readonly string _stateDirectory;
        private readonly string _batchId;
        private readonly FileBatchStore _store;
        private readonly System.Collections.Generic.IReadOnlyList<string> _names;
        private bool _compacted;

        internal CoreRecordMethod(string folder, int batchSize)
        {
            _stateDirectory = Path.Combine(folder, "core-" + batchSize);
            _batchId = "bench-" + batchSize;
            BatchSize = batchSize;
            _names = FeatureNames.For(batchSize);
            _store = new FileBatchStore(_stateDirectory, new FileStoreOptions
            {
                // The store formats its trace lines whether or not anyone listens, so listening costs nothing extra.
                Trace = line => { if (line.StartsWith(CompactionTrace, StringComparison.Ordinal)) _compacted = true; },
            });
        }

        public string Name => Methods.Core;

        public int BatchSize { get; }

        public int Updates => BatchSize;

        public void Prepare() =>
            _store.Create(new BatchDefinition("bench", _names) { BatchId = _batchId }, replace: false, CancellationToken.None);

        public bool Update(int index)
        {
            _compacted = false;
            _store.Record(_batchId, new FeatureResult(_names[index], FeatureStatus.Completed), CancellationToken.None);
            return _compacted;
        }

        public void VerifyAndClean()
        {
            var batch = new FileBatchStore(_stateDirectory).Load(_batchId);
            if (batch.Completed != BatchSize) throw new InvalidOperationException($"Batch '{_batchId}' has {batch.Completed} of {BatchSize} features completed after the run.");
            Directory.Delete(_stateDirectory, recursive: true);
        }

        public void Dispose() { }
    }
}
