using System;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>How a ClaimFeed stops handing out features once the batch's breaker opens.</summary>
    public sealed class ClaimFeedBreakerTests : IDisposable
    {
        private static readonly WorkerIdentity Me = new WorkerIdentity("here", 1, "me");
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly FileBatchStore _store;

        public ClaimFeedBreakerTests()
        {
            _store = new FileBatchStore(_dir.State, new FileStoreOptions());
            _store.Create(new BatchDefinition("b", new[] { "a", "b", "c", "d", "e", "f" })
            {
                BatchId = "b",
                Settings = new BatchSettings { MaxConsecutiveFailures = 2, MaxAttempts = 1 },
            }, false, CancellationToken.None);
        }

        public void Dispose() => _dir.Dispose();

        private RecordOutcome Fail(Feature feature) =>
            _store.Record("b", new FeatureResult(feature.Name, FeatureStatus.Failed, "down") { ClaimToken = feature.ClaimToken }, CancellationToken.None);

        /// <summary>Two features handed out, a third claimed ahead with the second (claims grow when quick).</summary>
        private static Feature[] TakeTwo(ClaimFeed feed)
        {
            var first = feed.Next(CancellationToken.None)!;
            // The first claim is of one; the next, coming quickly, of two: one handed out, one held.
            var second = feed.Next(CancellationToken.None)!;
            return new[] { first, second };
        }

        [Fact]
        public void A_recorded_failure_that_opens_the_breaker_says_so_and_Suspend_stops_the_feed()
        {
            using var feed = new ClaimFeed(_store, "b", Me) { CheckBreakerEachFeature = false };
            var taken = TakeTwo(feed);
            Assert.False(Fail(taken[0]).Suspended);
            var second = Fail(taken[1]);
            Assert.True(second.Suspended);

            feed.Suspend();
            Assert.True(feed.Suspended);
            Assert.Null(feed.Next(CancellationToken.None));
        }

        [Fact]
        public void Without_the_check_before_each_feature_a_feature_claimed_ahead_is_still_handed_out_until_Suspend()
        {
            using var feed = new ClaimFeed(_store, "b", Me) { CheckBreakerEachFeature = false };
            var taken = TakeTwo(feed);
            Fail(taken[0]);
            Fail(taken[1]);
            // One feature was claimed ahead with the second: handed out without a look at the breaker.
            Assert.NotNull(feed.Next(CancellationToken.None));
        }

        [Fact]
        public void With_the_check_before_each_feature_the_open_breaker_stops_features_claimed_ahead()
        {
            using var feed = new ClaimFeed(_store, "b", Me);
            var taken = TakeTwo(feed);
            Fail(taken[0]);
            Fail(taken[1]);
            Assert.Null(feed.Next(CancellationToken.None));
            Assert.True(feed.Suspended);
        }
    }
}
