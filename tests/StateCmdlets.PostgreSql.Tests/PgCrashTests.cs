using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.PostgreSql.Tests.Support;
using Xunit;

namespace StateCmdlets.PostgreSql.Tests
{
    /// <summary>
    /// The server crashing under running workers, and a commit whose answer never came: no
    /// acknowledged result is lost, none is applied twice, and the workers go on.
    /// </summary>
    [Collection(PgCollection.Name)]
    public sealed class PgCrashTests
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private readonly PgTestSchema _db;

        public PgCrashTests(PgServer server) => _db = new PgTestSchema(server, nameof(PgCrashTests));

        [PgThrowawayFact]
        public void A_server_stopped_immediately_mid_run_and_started_again_loses_no_acknowledged_result()
        {
            var names = Enumerable.Range(0, 240).Select(i => "item" + i).ToArray();
            _db.Store().Create(new BatchDefinition("crash", names) { BatchId = "b1" }, replace: false, None);
            var acknowledged = new ConcurrentBag<string>();
            var errors = new ConcurrentBag<Exception>();
            var workers = Enumerable.Range(0, 3).Select(w => new Thread(() =>
            {
                try
                {
                    var store = _db.Store(TimeSpan.FromSeconds(60));
                    var me = new WorkerIdentity("host", 1, "w" + w);
                    while (true)
                    {
                        var grant = store.Claim("b1", new ClaimRequest(me, 2), None);
                        if (grant.Claimed.Count == 0) break;
                        foreach (var feature in grant.Claimed)
                        {
                            store.Record("b1", new FeatureResult(feature.Name, FeatureStatus.Completed) { ClaimToken = feature.ClaimToken }, None);
                            acknowledged.Add(feature.Name);
                        }
                    }
                }
                catch (Exception e)
                {
                    errors.Add(e);
                }
            })).ToList();
            workers.ForEach(t => t.Start());
            var clock = Stopwatch.StartNew();
            while (acknowledged.Count < 40 && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            _db.Server.Stop("immediate");
            int beforeCrash = acknowledged.Count;
            Thread.Sleep(500);
            _db.Server.Start();
            workers.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(120)), "a worker did not finish"));

            Assert.Empty(errors);
            Assert.InRange(beforeCrash, 40, names.Length - 1);
            var batch = _db.Store().Load("b1");
            Assert.Equal(names.Length, batch.Completed);
            Assert.Equal(names.OrderBy(n => n), acknowledged.OrderBy(n => n)); // each acknowledged once
            Assert.All(batch.Features, f => Assert.Equal(1, f.Attempts)); // none recorded twice
            Assert.Equal(names.Length, (int)_db.Scalar<long>("SELECT count(*) FROM {s}.applied_request"));
        }

        /// <summary>
        /// A commit held back by a synchronous standby that does not exist, and the session killed
        /// while it waits: the transaction has committed locally, the client hears nothing (the
        /// outcome unknown). The retry must find it committed, not record (or claim) a second time.
        /// </summary>
        [PgThrowawayFact]
        public void A_commit_whose_answer_was_lost_is_found_by_its_request_id_and_not_sent_again()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("lost answers", new[] { "a", "b" }) { BatchId = "b1" }, replace: false, None);
            var outcome = WithCommitAnswerLost(() => store.Record("b1", new FeatureResult("a", FeatureStatus.Failed, "boom"), None));
            Assert.Equal(1, outcome.Feature.Attempts);
            var batch = store.Load("b1");
            Assert.Equal(1, batch.Find("a")!.Attempts); // sent twice, it would be 2
            Assert.Equal(1, batch.ConsecutiveFailures);
            Assert.Equal(1L, _db.Scalar<long>("SELECT count(*) FROM {s}.applied_request"));

            var worker = new WorkerIdentity("host", 1, "s1");
            var grant = WithCommitAnswerLost(() => store.Claim("b1", new ClaimRequest(worker, 1) { IncludeFailed = false }, None));
            var claimed = Assert.Single(grant.Claimed);
            Assert.Equal("b", claimed.Name);
            // Claimed twice, the second claim would hold a second, higher token.
            Assert.Equal(claimed.ClaimToken, _db.Scalar<long>("SELECT last_value FROM {s}.claim_token"));
            Assert.Equal(claimed.ClaimToken, store.Load("b1").Find("b")!.ClaimToken);
        }

        private T WithCommitAnswerLost<T>(Func<T> operation)
        {
            T result = default!;
            Exception? error = null;
            try
            {
                _db.Server.Execute("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
                _db.Server.Execute("SELECT pg_reload_conf()");
                WaitFor(() => _db.Server.Scalar<string>("SHOW synchronous_standby_names") == "nobody");
                var thread = new Thread(() =>
                {
                    try { result = operation(); }
                    catch (Exception e) { error = e; }
                });
                thread.Start();
                int pid = 0;
                WaitFor(() => (pid = _db.Server.Scalar<int?>($"SELECT pid FROM pg_stat_activity WHERE datname = '{_db.Database}' AND wait_event = 'SyncRep' LIMIT 1") ?? 0) != 0);
                _db.Server.Execute($"SELECT pg_terminate_backend({pid})");
                _db.Server.Execute("ALTER SYSTEM RESET synchronous_standby_names");
                _db.Server.Execute("SELECT pg_reload_conf()");
                Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "the operation did not finish");
            }
            finally
            {
                _db.Server.Execute("ALTER SYSTEM RESET synchronous_standby_names");
                _db.Server.Execute("SELECT pg_reload_conf()");
            }
            if (error != null) throw new Xunit.Sdk.XunitException("The operation failed: " + error);
            return result;
        }

        private static void WaitFor(Func<bool> condition)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("waited 20 s in vain");
                Thread.Sleep(20);
            }
        }
    }
}
