using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Batches.Import;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class ResultGroupTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly List<string> _trace = new List<string>();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore NewStore() => new FileBatchStore(_dir.State, new FileStoreOptions { Trace = line => { lock (_trace) _trace.Add(line); } });

        private int Flushes()
        {
            lock (_trace) return _trace.Count(line => line.StartsWith("Wrote record(s)", StringComparison.Ordinal));
        }

        /// <param name="together">The file store takes the group in one call; a store that cannot gets a thread per result.</param>
        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void Records_every_result_of_a_group_each_on_its_own_and_answers_in_order(bool together)
        {
            var store = NewStore();
            var names = Enumerable.Range(0, 8).Select(i => "item" + i).ToArray();
            store.Create(new BatchDefinition("g", names) { BatchId = "g" }, false, CancellationToken.None);
            var me = new WorkerIdentity("here", 1, "me");
            var claimed = store.Claim("g", new ClaimRequest(me, 8), CancellationToken.None).Claimed.ToDictionary(f => f.Name, f => f.ClaimToken);
            int made = 0;
            IBatchStore first = together ? store : new OneAtATimeStore(store);
            var group = new ResultGroup(first, () => { Interlocked.Increment(ref made); return NewStore(); });

            var results = names.Select(n => new FeatureResult(n, n == "item3" ? FeatureStatus.Failed : FeatureStatus.Completed, n == "item3" ? "no" : null)
            {
                // item5 comes with a stale token: refused alone.
                ClaimToken = n == "item5" ? claimed[n] - 100 : claimed[n],
            }).ToList();
            int flushesBefore = Flushes();
            var recorded = group.Record("g", results, CancellationToken.None);

            Assert.Equal(names, recorded.Select(r => r.Result.Feature));
            Assert.IsType<ClaimLostException>(recorded[5].Error);
            Assert.Null(recorded[5].Outcome);
            Assert.All(recorded.Where((r, i) => i != 5), r => Assert.NotNull(r.Outcome));
            var batch = store.Load("g");
            Assert.Equal(6, batch.Completed);
            Assert.Equal(1, batch.Failed);
            Assert.Equal(FeatureStatus.Pending, batch.Find("item5")!.Status);
            Assert.Equal(together ? 0 : 7, made);
            // Taken at once, the seven results share one write and fsync.
            if (together) Assert.Equal(1, Flushes() - flushesBefore);

            // The helper stores are kept for the next group.
            group.Record("g", new[] { new FeatureResult("item5", FeatureStatus.Completed) { ClaimToken = claimed["item5"] } }, CancellationToken.None);
            Assert.Equal(together ? 0 : 7, made);
            Assert.Equal(7, store.Load("g").Completed);
        }

        [Fact]
        public void Ctrl_C_before_the_group_is_written_records_none_of_it_and_throws()
        {
            var store = NewStore();
            store.Create(new BatchDefinition("g", new[] { "a", "b" }) { BatchId = "g" }, false, CancellationToken.None);
            var me = new WorkerIdentity("here", 1, "me");
            var claimed = store.Claim("g", new ClaimRequest(me, 2), CancellationToken.None).Claimed.ToDictionary(f => f.Name, f => f.ClaimToken);
            var group = new ResultGroup(store, NewStore);
            using var stop = new CancellationTokenSource();
            stop.Cancel();

            var results = claimed.Select(p => new FeatureResult(p.Key, FeatureStatus.Completed) { ClaimToken = p.Value }).ToList();
            Assert.ThrowsAny<OperationCanceledException>(() => group.Record("g", results, stop.Token));
            Assert.Equal(0, store.Load("g").Completed);
        }

        /// <summary>A store that records one result per call only (no group commit of its own), as a store other than the file store may be.</summary>
        private sealed class OneAtATimeStore : IBatchStore
        {
            private readonly IBatchStore _inner;

            internal OneAtATimeStore(IBatchStore inner) => _inner = inner;

            public string Location => _inner.Location;
            public bool LocationExists => _inner.LocationExists;
            public string Address(string batchId) => _inner.Address(batchId);
            public bool Exists(string batchId) => _inner.Exists(batchId);
            public IReadOnlyList<string> ListBatchIds() => _inner.ListBatchIds();
            public IReadOnlyList<string> ListBatchIdsToInspect() => _inner.ListBatchIdsToInspect();
            public Batch Create(BatchDefinition definition, bool replace, CancellationToken cancellationToken) => _inner.Create(definition, replace, cancellationToken);
            public Batch Import(ImportedBatch imported, bool replace, CancellationToken cancellationToken) => _inner.Import(imported, replace, cancellationToken);
            public int AddFeatures(string batchId, IReadOnlyList<string> features, CancellationToken cancellationToken) => _inner.AddFeatures(batchId, features, cancellationToken);
            public Batch Load(string batchId) => _inner.Load(batchId);
            public BatchSummary Summary(string batchId, CancellationToken cancellationToken) => _inner.Summary(batchId, cancellationToken);
            public RecordOutcome Record(string batchId, FeatureResult result, CancellationToken cancellationToken) => _inner.Record(batchId, result, cancellationToken);
            public Readiness ReadinessOf(string batchId, string featureName, bool includeFailed, CancellationToken cancellationToken) => _inner.ReadinessOf(batchId, featureName, includeFailed, cancellationToken);
            public ClaimGrant Claim(string batchId, ClaimRequest request, CancellationToken cancellationToken) => _inner.Claim(batchId, request, cancellationToken);
            public int Renew(string batchId, WorkerIdentity worker, TimeSpan? lease, CancellationToken cancellationToken) => _inner.Renew(batchId, worker, lease, cancellationToken);
            public int Release(string batchId, WorkerIdentity worker, IReadOnlyCollection<string>? features, CancellationToken cancellationToken) => _inner.Release(batchId, worker, features, cancellationToken);
            public BatchSummary Checkpoint(string batchId, CancellationToken cancellationToken) => _inner.Checkpoint(batchId, cancellationToken);
            public BatchSummary ResetBreaker(string batchId, CancellationToken cancellationToken) => _inner.ResetBreaker(batchId, cancellationToken);
            public BatchSummary ResetContext(string batchId, CancellationToken cancellationToken) => _inner.ResetContext(batchId, cancellationToken);
            public IReadOnlyList<string> Remove(string batchId, CancellationToken cancellationToken) => _inner.Remove(batchId, cancellationToken);
            public MigrationOutcome InspectVersion(string batchId) => _inner.InspectVersion(batchId);
            public IReadOnlyList<string> DescribeMigration(SchemaVersion from) => _inner.DescribeMigration(from);
            public MigrationOutcome Migrate(string batchId, CancellationToken cancellationToken) => _inner.Migrate(batchId, cancellationToken);
            public IReadOnlyList<StateProblem> Inspect(string batchId) => _inner.Inspect(batchId);
            public RepairReport Repair(string batchId, CancellationToken cancellationToken) => _inner.Repair(batchId, cancellationToken);
        }
    }
}
