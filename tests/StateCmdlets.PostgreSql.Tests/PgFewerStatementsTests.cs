using System;
using System.Linq;
using System.Threading;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.PostgreSql.Tests.Support;
using Xunit;

namespace StateCmdlets.PostgreSql.Tests
{
    /// <summary>
    /// A result for a claim this process made is written without reading the row first: the write's
    /// own WHERE is the fencing check. Whatever changed the row since the claim (outside this
    /// process's sight) makes it write nothing and the store decides again from the row.
    /// </summary>
    [Collection(PgCollection.Name)]
    public sealed class PgFewerStatementsTests
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private static readonly WorkerIdentity Alice = new WorkerIdentity("host-a", 101, "s1");
        private readonly PgTestSchema _db;

        public PgFewerStatementsTests(PgServer server) => _db = new PgTestSchema(server, nameof(PgFewerStatementsTests));

        private Feature ClaimOne(PgBatchStore store) =>
            Assert.Single(store.Claim("b1", new ClaimRequest(Alice, 1) { Lease = TimeSpan.FromMinutes(10) }, None).Claimed);

        private static FeatureResult Done(Feature claimed, FeatureStatus status = FeatureStatus.Completed) =>
            new FeatureResult(claimed.Name, status, status == FeatureStatus.Failed ? "boom" : null) { ClaimToken = claimed.ClaimToken };

        [PgFact]
        public void A_result_for_a_row_finished_behind_the_claims_back_is_refused()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("fast", new[] { "a", "b" }) { BatchId = "b1" }, replace: false, None);
            var claimed = ClaimOne(store);
            // Another machine's worker finished it (the lease ran out and it took it, say): this process never saw that.
            _db.Execute("UPDATE {s}.item SET status = 'Completed', attempts = 1, completed_at = now(), updated_at = now() WHERE name = 'a'");
            Assert.Throws<ClaimLostException>(() => store.Record("b1", Done(claimed, FeatureStatus.Failed), None));
            Assert.Equal(1, store.Load("b1").Find("a")!.Attempts);
        }

        [PgFact]
        public void A_result_for_a_row_claimed_again_elsewhere_is_refused_and_changes_nothing()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("fast", new[] { "a" }) { BatchId = "b1" }, replace: false, None);
            var claimed = ClaimOne(store);
            _db.Execute("UPDATE {s}.item SET claim_token = nextval('{s}.claim_token'), claimed_host = 'host-b', claimed_pid = 7, claimed_session = 's' WHERE name = 'a'");
            Assert.Throws<ClaimLostException>(() => store.Record("b1", Done(claimed), None));
            var a = store.Load("b1").Find("a")!;
            Assert.Equal(FeatureStatus.Pending, a.Status);
            Assert.Equal("host-b", a.ClaimedBy!.Host);
        }

        [PgFact]
        public void A_result_for_a_claim_of_a_batch_made_again_under_its_id_is_decided_by_the_new_batch()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("fast", new[] { "a" }) { BatchId = "b1" }, replace: false, None);
            var claimed = ClaimOne(store);
            // As if the batch were made again with the same key and rows but other settings: only its
            // creation's request id tells it from the one claimed.
            _db.Execute("UPDATE {s}.batch SET create_request = gen_random_uuid(), permanent_error_types = '{TimeoutException}'");
            var outcome = store.Record("b1", new FeatureResult("a", FeatureStatus.Failed, "slow") { ClaimToken = claimed.ClaimToken, ErrorTypes = new[] { "System.TimeoutException" } }, None);
            Assert.True(outcome.Feature.Permanent);
            Assert.True(store.Load("b1").Find("a")!.Permanent);
        }

        [PgFact]
        public void A_result_through_the_one_statement_path_is_stored_by_the_database_clock_with_the_counts()
        {
            var store = _db.Store();
            var definition = new BatchDefinition("fast", new[] { "a", "b", "c" }) { BatchId = "b1" };
            definition.Settings.RetryDelay = TimeSpan.FromMinutes(10);
            store.Create(definition, replace: false, None);
            var claimed = ClaimOne(store);
            var before = _db.Scalar<DateTime>("SELECT now()");
            var outcome = store.Record("b1", Done(claimed, FeatureStatus.Failed), None);
            var after = _db.Scalar<DateTime>("SELECT now()");
            Assert.Equal(FeatureStatus.Failed, outcome.Feature.Status);
            Assert.Equal(3, outcome.Total);
            Assert.Equal(3, outcome.Remaining); // a failure with attempts left is still to do
            Assert.InRange(outcome.Feature.UpdatedAt!.Value, before, after);
            // The backoff (10 minutes, give or take a quarter) counts from the database's clock.
            Assert.InRange(outcome.Feature.RetryAt!.Value - outcome.Feature.UpdatedAt!.Value, TimeSpan.FromMinutes(7.4), TimeSpan.FromMinutes(12.6));
            var stored = store.Load("b1").Find("a")!;
            Assert.Equal(outcome.Feature.UpdatedAt, stored.UpdatedAt);
            Assert.Equal(outcome.Feature.RetryAt, stored.RetryAt);
            Assert.Null(stored.ClaimedBy);
            Assert.Equal(1, store.Load("b1").ConsecutiveFailures);

            var second = ClaimOne(store);
            Assert.Equal("b", second.Name);
            var done = store.Record("b1", Done(second), None);
            Assert.Equal(2, done.Remaining);
            Assert.Equal(0, store.Load("b1").ConsecutiveFailures);
            // The same result again: the token's claim is over.
            Assert.Throws<ClaimLostException>(() => store.Record("b1", Done(second), None));
        }

        [PgFact]
        public void A_claim_leaves_the_rows_of_this_machines_live_workers_alone_and_takes_a_gone_ones_at_once()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("fast", new[] { "a", "b", "c" }) { BatchId = "b1" }, replace: false, None);
            var live = new WorkerIdentity(Environment.MachineName, Environment.ProcessId, "other-session");
            var gone = new WorkerIdentity(Environment.MachineName, 999999998, "s1");
            Assert.Single(store.Claim("b1", new ClaimRequest(live, 1), None).Claimed);
            Assert.Single(store.Claim("b1", new ClaimRequest(gone, 1), None).Claimed);
            var grant = store.Claim("b1", new ClaimRequest(Alice, 5), None);
            Assert.Equal(new[] { "b", "c" }, grant.Claimed.Select(f => f.Name));
            Assert.Equal(1, grant.HeldByOthers);
            Assert.Equal(3, grant.Remaining);
            Assert.Equal(3, grant.Total);
            var tokens = grant.Claimed.Select(f => f.ClaimToken).ToList();
            Assert.Equal(tokens.OrderBy(t => t), tokens);
        }
    }
}
