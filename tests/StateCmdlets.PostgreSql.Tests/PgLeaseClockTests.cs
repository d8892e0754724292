using System;
using System.Threading;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.PostgreSql.Tests.Support;
using Xunit;

namespace StateCmdlets.PostgreSql.Tests
{
    /// <summary>Leases run by the database's clock: what a worker believes about its lease decides nothing.</summary>
    [Collection(PgCollection.Name)]
    public sealed class PgLeaseClockTests
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private static readonly WorkerIdentity Alice = new WorkerIdentity("host-a", 101, "s1");
        private static readonly WorkerIdentity Bob = new WorkerIdentity("host-b", 202, "s1");
        private readonly PgTestSchema _db;

        public PgLeaseClockTests(PgServer server) => _db = new PgTestSchema(server, nameof(PgLeaseClockTests));

        private ClaimGrant Claim(PgBatchStore store, WorkerIdentity worker, double leaseSeconds) =>
            store.Claim("b1", new ClaimRequest(worker, 1) { Lease = TimeSpan.FromSeconds(leaseSeconds) }, None);

        [PgFact]
        public void A_claim_is_stamped_with_the_database_time_and_its_lease_counts_from_there()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("clock", new[] { "a" }) { BatchId = "b1" }, replace: false, None);
            var before = _db.Scalar<DateTime>("SELECT now()");
            var claimed = Assert.Single(Claim(store, Alice, 90).Claimed);
            var after = _db.Scalar<DateTime>("SELECT now()");
            Assert.InRange(claimed.ClaimedAt!.Value, before, after);
            Assert.Equal(TimeSpan.FromSeconds(90), claimed.LeaseExpiresAt!.Value - claimed.ClaimedAt.Value);
            Assert.Equal(90.0, _db.Scalar<double>("SELECT extract(epoch FROM lease_expires_at - claimed_at)::float8 FROM {s}.item WHERE name = 'a'"));
        }

        [PgFact]
        public void A_lease_the_database_says_ran_out_is_free_though_the_worker_thinks_it_holds()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("clock", new[] { "a" }) { BatchId = "b1" }, replace: false, None);
            var alices = Assert.Single(Claim(store, Alice, 600).Claimed);
            Assert.Empty(Claim(store, Bob, 600).Claimed);
            // As if the database's clock were ten minutes ahead of Alice's: by its clock the lease is over.
            _db.Execute("UPDATE {s}.item SET lease_expires_at = now() - interval '1 millisecond'");
            Assert.True(alices.LeaseExpiresAt > DateTime.UtcNow.AddMinutes(5)); // what Alice believes
            var bobs = Assert.Single(Claim(store, Bob, 600).Claimed);
            Assert.True(bobs.ClaimToken > alices.ClaimToken);
            Assert.Equal(0, store.Renew("b1", Alice, null, None));
            Assert.Throws<ClaimLostException>(() => store.Record("b1", new FeatureResult("a", FeatureStatus.Completed) { ClaimToken = alices.ClaimToken }, None));
        }

        [PgFact]
        public void A_lease_the_database_says_still_holds_is_not_taken_though_the_worker_clock_says_it_ran_out()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("clock", new[] { "a" }) { BatchId = "b1" }, replace: false, None);
            var bobs = Assert.Single(Claim(store, Bob, 1).Claimed);
            // As if the database's clock were an hour behind: by its clock the one-second lease holds on.
            _db.Execute("UPDATE {s}.item SET lease_expires_at = now() + interval '1 hour'");
            Thread.Sleep(1200);
            Assert.True(bobs.LeaseExpiresAt < DateTime.UtcNow); // what a worker's clock says
            var grant = Claim(store, Alice, 60);
            Assert.Empty(grant.Claimed);
            Assert.Equal(1, grant.HeldByOthers);
            Assert.Equal(1, store.Renew("b1", Bob, TimeSpan.FromSeconds(30), None));
        }
    }
}
