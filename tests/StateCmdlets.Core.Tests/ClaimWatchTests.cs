using System;
using System.Collections.Generic;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class ClaimWatchTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void Looks_every_third_of_the_lease()
        {
            var start = new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Utc);
            var watch = new ClaimWatch(TimeSpan.FromSeconds(60), start);
            Assert.False(watch.IsDue(start.AddSeconds(19)));
            Assert.True(watch.IsDue(start.AddSeconds(20)));
        }

        [Fact]
        public void A_claim_taken_by_another_worker_or_finished_meanwhile_is_lost_one_still_held_is_not()
        {
            var store = new FileBatchStore(_dir.State, new FileStoreOptions());
            store.Create(new BatchDefinition("w", new[] { "taken", "kept", "finished" }) { BatchId = "w", Settings = new BatchSettings { Lease = TimeSpan.FromSeconds(1) } }, false, CancellationToken.None);
            var me = new WorkerIdentity("here", 1, "me");
            var grant = store.Claim("w", new ClaimRequest(me, 3), CancellationToken.None);
            var tokens = new Dictionary<string, long>();
            foreach (var f in grant.Claimed) tokens[f.Name] = f.ClaimToken;
            // Someone records "finished" by hand; "taken" is claimed by another worker once our lease ran out.
            store.Record("w", new FeatureResult("finished", FeatureStatus.Completed), CancellationToken.None);
            Thread.Sleep(1100);
            store.Claim("w", new ClaimRequest(new WorkerIdentity("there", 2, "other"), 1), CancellationToken.None);
            // The other worker got the first item whose lease ran out; "kept" has no other holder: its token is still ours.
            var batch = store.Load("w");
            Assert.Equal("there", batch.Find("taken")!.ClaimedBy!.Host);

            var watch = new ClaimWatch(TimeSpan.FromSeconds(1), DateTime.UtcNow);
            var lost = watch.Lost(batch, tokens, DateTime.UtcNow);
            Assert.Equal(new[] { "taken", "finished" }, lost);
        }
    }
}
