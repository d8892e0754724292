using System;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class ResultGroupTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore NewStore() => new FileBatchStore(_dir.State, new FileStoreOptions());

        [Fact]
        public void Records_every_result_of_a_group_each_on_its_own_and_answers_in_order()
        {
            var store = NewStore();
            var names = Enumerable.Range(0, 8).Select(i => "item" + i).ToArray();
            store.Create(new BatchDefinition("g", names) { BatchId = "g" }, false, CancellationToken.None);
            var me = new WorkerIdentity("here", 1, "me");
            var claimed = store.Claim("g", new ClaimRequest(me, 8), CancellationToken.None).Claimed.ToDictionary(f => f.Name, f => f.ClaimToken);
            int made = 0;
            var group = new ResultGroup(store, () => { Interlocked.Increment(ref made); return NewStore(); });

            var results = names.Select(n => new FeatureResult(n, n == "item3" ? FeatureStatus.Failed : FeatureStatus.Completed, n == "item3" ? "no" : null)
            {
                // item5 comes with a stale token: refused alone.
                ClaimToken = n == "item5" ? claimed[n] - 100 : claimed[n],
            }).ToList();
            var recorded = group.Record("g", results, CancellationToken.None);

            Assert.Equal(names, recorded.Select(r => r.Result.Feature));
            Assert.IsType<ClaimLostException>(recorded[5].Error);
            Assert.Null(recorded[5].Outcome);
            Assert.All(recorded.Where((r, i) => i != 5), r => Assert.NotNull(r.Outcome));
            var batch = store.Load("g");
            Assert.Equal(6, batch.Completed);
            Assert.Equal(1, batch.Failed);
            Assert.Equal(FeatureStatus.Pending, batch.Find("item5")!.Status);
            Assert.Equal(7, made);

            // The helper stores are kept for the next group.
            group.Record("g", new[] { new FeatureResult("item5", FeatureStatus.Completed) { ClaimToken = claimed["item5"] } }, CancellationToken.None);
            Assert.Equal(7, made);
            Assert.Equal(7, store.Load("g").Completed);
        }
    }
}
