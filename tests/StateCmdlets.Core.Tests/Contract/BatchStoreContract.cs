using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.Import;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests.Contract
{
    /// <summary>
    /// What every batch store promises, written once against <see cref="IBatchStore"/> alone: each
    /// store's test class derives from this and says how to make a fresh, empty store (and a second
    /// client of the same one, as another process would be).
    /// </summary>
    public abstract class BatchStoreContract : IDisposable
    {
        private static readonly CancellationToken None = CancellationToken.None;

        /// <summary>A client of a fresh, empty store of this kind; every call of one test reaches the same store.</summary>
        private protected abstract IBatchStore Store();

        public virtual void Dispose()
        {
        }

        private Batch Create(string id, params string[] features) => Create(id, new BatchSettings(), features);

        private Batch Create(string id, BatchSettings settings, params string[] features) =>
            Store().Create(new BatchDefinition("batch " + id, features) { BatchId = id, Settings = settings }, replace: false, None);

        private static FeatureResult Result(string feature, FeatureStatus status, string? error = null) => new FeatureResult(feature, status, error);

        [Fact]
        public void A_new_batch_loads_with_every_feature_pending_in_order()
        {
            Create("b1", "a", "b", "日本 ü");
            var batch = Store().Load("b1");
            Assert.Equal("b1", batch.BatchId);
            Assert.Equal("batch b1", batch.Name);
            Assert.Equal(new[] { "a", "b", "日本 ü" }, batch.Features.Select(f => f.Name));
            Assert.All(batch.Features, f => Assert.Equal(FeatureStatus.Pending, f.Status));
            Assert.Equal(BatchStatus.Pending, batch.Status);
            Assert.Equal(3, batch.Total);
        }

        [Fact]
        public void Creating_an_existing_batch_needs_replace_which_starts_it_afresh()
        {
            Create("b1", "a");
            Store().Record("b1", Result("a", FeatureStatus.Completed), None);
            var error = Assert.Throws<BatchAlreadyExistsException>(() => Create("b1", "x"));
            Assert.Equal(StateErrorIds.BatchAlreadyExists, error.ErrorId);
            Assert.Equal(FeatureStatus.Completed, Store().Load("b1").Find("a")!.Status);

            Store().Create(new BatchDefinition("again", new[] { "x", "y" }) { BatchId = "b1" }, replace: true, None);
            var replaced = Store().Load("b1");
            Assert.Equal(new[] { "x", "y" }, replaced.Features.Select(f => f.Name));
            Assert.Equal(0, replaced.Completed);
        }

        [Fact]
        public void A_batch_made_without_an_id_gets_one()
        {
            var created = Store().Create(new BatchDefinition("nightly", new[] { "a" }), replace: false, None);
            Assert.True(BatchId.IsValid(created.BatchId));
            Assert.True(Store().Exists(created.BatchId));
        }

        [Fact]
        public void Lists_every_batch_sorted_and_says_which_exist()
        {
            Create("zeta", "a");
            Create("alpha", "a");
            Create("mid", "a");
            Assert.Equal(new[] { "alpha", "mid", "zeta" }, Store().ListBatchIds());
            Assert.True(Store().Exists("mid"));
            Assert.False(Store().Exists("nope"));
            Assert.Contains("mid", Store().ListBatchIdsToInspect());
        }

        [Fact]
        public void Unknown_batches_features_and_ids_are_errors_with_stable_ids()
        {
            Create("b1", "a");
            Assert.Equal(StateErrorIds.BatchNotFound, Assert.Throws<BatchNotFoundException>(() => Store().Load("nope")).ErrorId);
            Assert.Equal(StateErrorIds.BatchNotFound, Assert.Throws<BatchNotFoundException>(() => Store().Record("nope", Result("a", FeatureStatus.Completed), None)).ErrorId);
            Assert.Equal(StateErrorIds.FeatureNotFound, Assert.Throws<FeatureNotFoundException>(() => Store().Record("b1", Result("A", FeatureStatus.Completed), None)).ErrorId);
            Assert.Equal(StateErrorIds.InvalidFeatureResult, Assert.Throws<InvalidFeatureResultException>(() => Store().Record("b1", Result("a", FeatureStatus.Pending), None)).ErrorId);
            Assert.Equal(StateErrorIds.InvalidBatchId, Assert.Throws<InvalidBatchIdException>(() => Store().Load("../etc")).ErrorId);
            Assert.Equal(StateErrorIds.InvalidBatchId, Assert.Throws<InvalidBatchIdException>(() => Store().Address("a b")).ErrorId);
            Assert.Equal(StateErrorIds.BatchNotFound, Assert.Throws<BatchNotFoundException>(() => Store().Remove("nope", None)).ErrorId);
            Assert.Equal(FeatureStatus.Pending, Store().Load("b1").Find("a")!.Status);
        }

        [Fact]
        public void A_result_is_seen_by_every_client_with_its_attempt_error_and_data()
        {
            Create("b1", "a", "b", "c");
            var data = JsonDocument.Parse("{\"hash\":\"AB\",\"n\":[1,2]}").RootElement.Clone();
            var outcome = Store().Record("b1", new FeatureResult("a", FeatureStatus.Completed, data: data), None);
            Assert.Equal(FeatureStatus.Completed, outcome.Feature.Status);
            Assert.Equal(3, outcome.Total);
            Assert.Equal(2, outcome.Remaining);
            Store().Record("b1", Result("b", FeatureStatus.Failed, "boom"), None);

            var batch = Store().Load("b1");
            var a = batch.Find("a")!;
            Assert.Equal(FeatureStatus.Completed, a.Status);
            Assert.Equal(1, a.Attempts);
            Assert.NotNull(a.CompletedAt);
            Assert.Equal("AB", a.Data!.Value.GetProperty("hash").GetString());
            Assert.Equal("boom", batch.Find("b")!.LastError);
            Assert.Equal(BatchStatus.Running, batch.Status);

            var summary = Store().Summary("b1", None);
            Assert.Equal(1, summary.Completed);
            Assert.Equal(1, summary.Failed);
            Assert.Equal(1, summary.Pending);
            Assert.Equal(2, summary.Remaining);
        }

        [Fact]
        public void Failures_get_their_backoff_and_permanent_types_are_never_retried()
        {
            var settings = new BatchSettings { RetryDelay = TimeSpan.FromMinutes(10), PermanentErrorTypes = new[] { "System.UnauthorizedAccessException" } };
            Create("b1", settings, "a", "b");
            Store().Record("b1", Result("a", FeatureStatus.Failed, "later"), None);
            Store().Record("b1", new FeatureResult("b", FeatureStatus.Failed, "denied") { ErrorTypes = new[] { "System.UnauthorizedAccessException" } }, None);
            var batch = Store().Load("b1");
            Assert.True(batch.Find("a")!.RetryAt > DateTime.UtcNow.AddMinutes(5));
            Assert.False(batch.Find("a")!.Permanent);
            Assert.True(batch.Find("b")!.Permanent);
            Assert.Equal(new[] { "a" }, batch.Remaining(includeFailed: true).Select(f => f.Name));
            Assert.Equal(ReadinessKind.Waiting, Store().ReadinessOf("b1", "a", includeFailed: true, None).Kind);
            Assert.Equal(ReadinessKind.Done, Store().ReadinessOf("b1", "b", includeFailed: true, None).Kind);
        }

        [Fact]
        public void A_dependency_that_failed_for_good_blocks_what_depends_on_it_all_the_way_down()
        {
            Store().Create(new BatchDefinition("deps", new[] { "base", "mid", "top", "free" })
            {
                BatchId = "b1",
                Settings = new BatchSettings { MaxAttempts = 1 },
                Dependencies = new Dictionary<string, IReadOnlyList<string>> { ["mid"] = new[] { "base" }, ["top"] = new[] { "mid" } },
            }, replace: false, None);
            Assert.Equal(ReadinessKind.Waiting, Store().ReadinessOf("b1", "mid", true, None).Kind);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "free", true, None).Kind);

            Store().Record("b1", Result("base", FeatureStatus.Failed, "gone"), None);
            var mid = Store().ReadinessOf("b1", "mid", true, None);
            Assert.Equal(ReadinessKind.Blocked, mid.Kind);
            Assert.Equal(ReadinessKind.Blocked, Store().ReadinessOf("b1", "top", true, None).Kind);

            var batch = Store().Load("b1");
            Assert.Equal(FeatureStatus.Skipped, batch.Find("mid")!.Status);
            Assert.Equal("base", batch.Find("mid")!.BlockedBy);
            Assert.Equal("mid", batch.Find("top")!.BlockedBy);
            Assert.Null(batch.Find("free")!.BlockedBy);
        }

        [Fact]
        public void A_skip_by_hand_does_not_block_what_depends_on_it()
        {
            Store().Create(new BatchDefinition("deps", new[] { "base", "top" })
            {
                BatchId = "b1",
                Dependencies = new Dictionary<string, IReadOnlyList<string>> { ["top"] = new[] { "base" } },
            }, replace: false, None);
            // Worded like a blocked skip on purpose: only the typed field decides.
            Store().Record("b1", Result("base", FeatureStatus.Skipped, "Skipped because 'x' did not complete (by hand)"), None);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "top", true, None).Kind);
            Assert.Null(Store().Load("b1").Find("base")!.BlockedBy); // read back from what was stored too
        }

        [Fact]
        public void Failures_in_a_row_suspend_the_batch_until_the_breaker_is_reset()
        {
            Create("b1", new BatchSettings { MaxConsecutiveFailures = 2 }, "a", "b", "c");
            Assert.False(Store().Record("b1", Result("a", FeatureStatus.Failed, "1"), None).Suspended);
            // The result that opens the breaker says so (Invoke-Batch stops handing out on it).
            Assert.True(Store().Record("b1", Result("b", FeatureStatus.Failed, "2"), None).Suspended);
            Assert.Equal(BatchStatus.Suspended, Store().Load("b1").Status);
            Assert.Equal(ReadinessKind.Suspended, Store().ReadinessOf("b1", "c", true, None).Kind);

            var summary = Store().ResetBreaker("b1", None);
            Assert.Equal(0, summary.ConsecutiveFailures);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "c", true, None).Kind);
            Assert.NotEqual(BatchStatus.Suspended, Store().Load("b1").Status);
        }

        [Fact]
        public void The_context_budget_adds_up_and_clears()
        {
            Create("b1", new BatchSettings { ContextTokenLimit = 100 }, "a", "b");
            Store().Record("b1", new FeatureResult("a", FeatureStatus.Completed) { ContextTokens = 60 }, None);
            Store().Record("b1", new FeatureResult("b", FeatureStatus.Completed) { ContextTokens = 50 }, None);
            Assert.True(Store().Load("b1").ShouldClearContext);
            var summary = Store().ResetContext("b1", None);
            Assert.Equal(0, summary.ContextTokens);
            var batch = Store().Load("b1");
            Assert.Equal(110, Assert.Single(batch.ContextClears).TokensBefore);
        }

        [Fact]
        public void A_checkpoint_is_counted_and_keeps_every_result()
        {
            Create("b1", "a", "b");
            Store().Record("b1", Result("a", FeatureStatus.Completed), None);
            Assert.Equal(1, Store().Checkpoint("b1", None).CheckpointCount);
            var batch = Store().Load("b1");
            Assert.Equal(1, batch.CheckpointCount);
            Assert.NotNull(batch.LastCheckpointAt);
            Assert.Equal(FeatureStatus.Completed, batch.Find("a")!.Status);
        }

        [Fact]
        public void Remove_deletes_the_batch_and_only_it()
        {
            Create("b1", "a");
            Create("b2", "a");
            Assert.NotEmpty(Store().Remove("b1", None));
            Assert.False(Store().Exists("b1"));
            Assert.Throws<BatchNotFoundException>(() => Store().Load("b1"));
            Assert.Equal(new[] { "b2" }, Store().ListBatchIds());
        }

        [Fact]
        public void An_imported_batch_keeps_its_id_results_and_settings()
        {
            const string exported = @"{""BatchId"":""imp-1"",""Name"":""imported"",""MaxAttempts"":4,""Features"":[
                {""Feature"":""a"",""Status"":""Completed"",""Attempts"":1},{""Feature"":""b"",""Status"":""Failed"",""Attempts"":2,""LastError"":""boom""},{""Feature"":""c"",""Status"":""Pending"",""Attempts"":0}]}";
            var imported = Assert.Single(BatchImporter.Read(System.Text.Encoding.UTF8.GetBytes(exported), "export.json", DateTime.UtcNow));
            Store().Import(imported, replace: false, None);
            var batch = Store().Load("imp-1");
            Assert.Equal(4, batch.MaxAttempts);
            Assert.Equal(FeatureStatus.Completed, batch.Find("a")!.Status);
            Assert.Equal(2, batch.Find("b")!.Attempts);
            Assert.Equal("boom", batch.Find("b")!.LastError);
            Assert.Equal(FeatureStatus.Pending, batch.Find("c")!.Status);
            Assert.Throws<BatchAlreadyExistsException>(() => Store().Import(imported, replace: false, None));
        }

        [Fact]
        public void A_healthy_batch_has_no_problems_and_needs_no_migration()
        {
            Create("b1", "a");
            Store().Record("b1", Result("a", FeatureStatus.Completed), None);
            Assert.Empty(Store().Inspect("b1"));
            var repaired = Store().Repair("b1", None);
            Assert.True(repaired.Recovered);
            Assert.Empty(repaired.Lost);
            Assert.Equal(MigrationAction.UpToDate, Store().InspectVersion("b1").Action);
            Assert.Equal(MigrationAction.UpToDate, Store().Migrate("b1", None).Action);
            Assert.Equal(FeatureStatus.Completed, Store().Load("b1").Find("a")!.Status);
        }

        [Fact]
        public void Many_results_from_many_threads_are_all_kept()
        {
            var names = Enumerable.Range(0, 80).Select(i => "f" + i).ToArray();
            Create("b1", names);
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                var store = Store();
                for (int i = t; i < names.Length; i += 4) store.Record("b1", Result(names[i], FeatureStatus.Completed), None);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            var batch = Store().Load("b1");
            Assert.Equal(80, batch.Completed);
            Assert.Equal(BatchStatus.Completed, batch.Status);
        }

        // ---- claims, leases and fencing ----

        private static readonly WorkerIdentity Alice = new WorkerIdentity("host-a", 101, "s1");
        private static readonly WorkerIdentity Bob = new WorkerIdentity("host-b", 202, "s1");

        private ClaimGrant Claim(WorkerIdentity worker, int max, double leaseSeconds = 60, bool reclaimOwn = false) =>
            Store().Claim("b1", new ClaimRequest(worker, max) { Lease = TimeSpan.FromSeconds(leaseSeconds), ReclaimOwn = reclaimOwn }, None);

        private static FeatureResult Done(Feature claimed) => new FeatureResult(claimed.Name, FeatureStatus.Completed) { ClaimToken = claimed.ClaimToken };

        [Fact]
        public void Claims_split_the_work_with_tokens_that_only_grow()
        {
            Create("b1", "a", "b", "c", "d", "e");
            var first = Claim(Alice, 2);
            var second = Claim(Bob, 2);
            Assert.Equal(new[] { "a", "b" }, first.Claimed.Select(f => f.Name));
            Assert.Equal(new[] { "c", "d" }, second.Claimed.Select(f => f.Name));
            Assert.Equal(2, second.HeldByOthers);
            var tokens = first.Claimed.Concat(second.Claimed).Select(f => f.ClaimToken).ToList();
            Assert.Equal(tokens.OrderBy(t => t), tokens);
            Assert.Equal(4, tokens.Distinct().Count());
            Assert.All(first.Claimed, f => Assert.Equal(Alice, f.ClaimedBy));
            Assert.All(first.Claimed, f => Assert.True(f.LeaseExpiresAt > DateTime.UtcNow.AddSeconds(50)));

            var batch = Store().Load("b1");
            Assert.Equal(4, batch.InProgressAt(DateTime.UtcNow));
            Assert.Equal(Bob, batch.Find("c")!.ClaimedBy);
            Assert.Equal(new[] { "e" }, Claim(Alice, 5).Claimed.Select(f => f.Name));
            Assert.Empty(Claim(Bob, 5).Claimed);
        }

        [Fact]
        public void A_result_under_the_claim_ends_it_and_its_token_cannot_be_used_again_by_a_late_worker()
        {
            Create("b1", "a");
            var claimed = Assert.Single(Claim(Alice, 1).Claimed);
            Store().Record("b1", Done(claimed), None);
            Assert.Equal(0, Store().Load("b1").InProgressAt(DateTime.UtcNow));
            var late = Assert.Throws<ClaimLostException>(() => Store().Record("b1", new FeatureResult("a", FeatureStatus.Failed, "late") { ClaimToken = claimed.ClaimToken }, None));
            Assert.Equal(StateErrorIds.ClaimLost, late.ErrorId);
            Assert.Equal("a", late.Feature);
            var batch = Store().Load("b1");
            Assert.Equal(FeatureStatus.Completed, batch.Find("a")!.Status);
            Assert.Equal(1, batch.Find("a")!.Attempts);
            Assert.Equal(0, batch.ConsecutiveFailures);
        }

        [Fact]
        public void A_lease_that_ran_out_lets_another_worker_claim_and_fences_the_first_one_off()
        {
            Create("b1", "a", "b");
            var old = Assert.Single(Claim(Alice, 1, leaseSeconds: 1).Claimed);
            Assert.Equal(new[] { "b" }, Claim(Bob, 5).Claimed.Select(f => f.Name));
            Thread.Sleep(1300);
            var taken = Assert.Single(Claim(Bob, 5).Claimed);
            Assert.Equal("a", taken.Name);
            Assert.True(taken.ClaimToken > old.ClaimToken);
            Assert.Equal(0, Store().Renew("b1", Alice, null, None)); // a claim that ran out is not revived

            var lost = Assert.Throws<ClaimLostException>(() => Store().Record("b1", Done(old), None));
            Assert.Equal(Bob.ToString(), lost.Holder);
            Assert.NotNull(lost.LostAt);
            Assert.Equal(FeatureStatus.Pending, Store().Load("b1").Find("a")!.Status);
            Store().Record("b1", Done(taken), None);
            Assert.Equal(FeatureStatus.Completed, Store().Load("b1").Find("a")!.Status);
        }

        [Fact]
        public void A_result_after_the_lease_ran_out_is_accepted_when_nobody_took_the_feature_since()
        {
            Create("b1", "a");
            var claimed = Assert.Single(Claim(Alice, 1, leaseSeconds: 1).Claimed);
            Thread.Sleep(1300);
            Assert.Equal(0, Store().Load("b1").InProgressAt(DateTime.UtcNow));
            Store().Record("b1", Done(claimed), None);
            Assert.Equal(FeatureStatus.Completed, Store().Load("b1").Find("a")!.Status);
        }

        [Fact]
        public void An_operators_result_without_a_token_is_accepted_and_ends_the_claim()
        {
            Create("b1", "a", "b");
            var claimed = Claim(Alice, 2).Claimed;
            Store().Record("b1", Result("a", FeatureStatus.Skipped, "not needed"), None);
            var batch = Store().Load("b1");
            Assert.Null(batch.Find("a")!.ClaimedBy);
            Assert.Equal(1, batch.InProgressAt(DateTime.UtcNow));
            // The worker's result for it is now late: the feature was finished meanwhile.
            Assert.Throws<ClaimLostException>(() => Store().Record("b1", Done(claimed[0]), None));
        }

        [Fact]
        public void A_failure_never_turns_a_completed_feature_back_and_does_not_count_for_the_breaker()
        {
            Create("b1", new BatchSettings { MaxConsecutiveFailures = 1 }, "a", "b");
            Store().Record("b1", Result("a", FeatureStatus.Completed), None);
            var error = Assert.Throws<FeatureAlreadyCompletedException>(() => Store().Record("b1", Result("a", FeatureStatus.Failed, "late"), None));
            Assert.Equal(StateErrorIds.FeatureAlreadyCompleted, error.ErrorId);
            var batch = Store().Load("b1");
            Assert.Equal(FeatureStatus.Completed, batch.Find("a")!.Status);
            Assert.Equal(0, batch.ConsecutiveFailures);
            Assert.NotEqual(BatchStatus.Suspended, batch.Status);
        }

        [Fact]
        public void The_same_worker_gets_its_unrecorded_claims_back_at_once_and_others_do_not()
        {
            Create("b1", "a", "b", "c");
            var before = Claim(Alice, 2).Claimed;
            Assert.Equal(new[] { "c" }, Claim(Alice, 1).Claimed.Select(f => f.Name)); // a and b are in flight: not again
            var again = Claim(Alice, 1, reclaimOwn: true);
            Assert.Equal(new[] { "a", "b", "c" }, again.Claimed.Select(f => f.Name)); // all of its own, beyond the one asked for
            Assert.True(again.Claimed.Single(f => f.Name == "a").ClaimToken > before[0].ClaimToken);
            Assert.DoesNotContain("a", Claim(Bob, 5, reclaimOwn: true).Claimed.Select(f => f.Name));
        }

        [Fact]
        public void A_heartbeat_renews_live_claims_and_a_release_frees_them_at_once()
        {
            Create("b1", "a", "b", "c");
            var claimed = Claim(Alice, 2, leaseSeconds: 30).Claimed;
            var expiry = Store().Load("b1").Find("a")!.LeaseExpiresAt!.Value;
            Assert.Equal(2, Store().Renew("b1", Alice, TimeSpan.FromSeconds(600), None));
            Assert.True(Store().Load("b1").Find("a")!.LeaseExpiresAt > expiry.AddSeconds(500));
            Assert.Equal(0, Store().Renew("b1", Bob, null, None));

            Assert.Equal(0, Store().Release("b1", Bob, new[] { "a" }, None)); // not Bob's to release
            Assert.Equal(1, Store().Release("b1", Alice, new[] { "a" }, None));
            Assert.Equal(new[] { "a", "c" }, Claim(Bob, 5).Claimed.Select(f => f.Name));
            Assert.Equal(1, Store().Release("b1", Alice, null, None));
            Assert.Equal(new[] { "b" }, Claim(Bob, 5).Claimed.Select(f => f.Name));
            // Alice's claim on b went to Bob: her late result is refused even after Bob let it go.
            Store().Release("b1", Bob, new[] { "b" }, None);
            Assert.Throws<ClaimLostException>(() => Store().Record("b1", Done(claimed[1]), None));
        }

        [Fact]
        public void A_result_under_a_released_claim_nobody_took_since_is_accepted()
        {
            Create("b1", "a");
            var claimed = Assert.Single(Claim(Alice, 1).Claimed);
            Assert.Equal(1, Store().Release("b1", Alice, null, None));
            Store().Record("b1", Done(claimed), None);
            Assert.Equal(FeatureStatus.Completed, Store().Load("b1").Find("a")!.Status);
        }

        [Fact]
        public void A_claim_skips_blocked_features_and_gives_nothing_while_the_batch_is_suspended()
        {
            Store().Create(new BatchDefinition("deps", new[] { "base", "top", "x", "y" })
            {
                BatchId = "b1",
                Settings = new BatchSettings { MaxAttempts = 1, MaxConsecutiveFailures = 2 },
                Dependencies = new Dictionary<string, IReadOnlyList<string>> { ["top"] = new[] { "base" } },
            }, replace: false, None);
            Store().Record("b1", Result("base", FeatureStatus.Failed, "gone"), None);
            var grant = Claim(Alice, 5);
            Assert.Equal(new[] { "x", "y" }, grant.Claimed.Select(f => f.Name));
            Assert.Equal("top", Assert.Single(grant.Blocked).Key);
            Assert.Equal("base", Store().Load("b1").Find("top")!.BlockedBy);

            Store().Record("b1", Result("x", FeatureStatus.Failed, "1"), None);
            Store().Release("b1", Alice, null, None);
            var suspended = Claim(Bob, 5);
            Assert.True(suspended.Suspended);
            Assert.Empty(suspended.Claimed);
        }

        [Fact]
        public void Features_this_run_handed_out_come_again_only_after_a_newer_failure()
        {
            Create("b1", "a", "b");
            var first = Claim(Alice, 2).Claimed;
            Store().Record("b1", Result("a", FeatureStatus.Failed, "retry me"), None);
            Store().Record("b1", Done(first[1]), None);
            var handedOut = first.ToDictionary(f => f.Name, f => f.Attempts);
            var again = Store().Claim("b1", new ClaimRequest(Alice, 5) { HandedOut = handedOut }, None);
            Assert.Equal(new[] { "a" }, again.Claimed.Select(f => f.Name));
            handedOut["a"] = 1;
            Assert.Empty(Store().Claim("b1", new ClaimRequest(Alice, 5) { HandedOut = handedOut }, None).Claimed);
        }

        [Fact]
        public void Workers_on_many_threads_claiming_and_recording_do_every_feature_exactly_once()
        {
            var names = Enumerable.Range(0, 60).Select(i => "f" + i).ToArray();
            Create("b1", names);
            var done = new System.Collections.Concurrent.ConcurrentBag<string>();
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                var store = Store();
                var me = new WorkerIdentity("host", 1, "t" + t);
                while (true)
                {
                    var grant = store.Claim("b1", new ClaimRequest(me, 3), None);
                    if (grant.Claimed.Count == 0) break;
                    foreach (var feature in grant.Claimed)
                    {
                        done.Add(feature.Name);
                        store.Record("b1", Done(feature), None);
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Equal(names.OrderBy(n => n), done.OrderBy(n => n));
            var batch = Store().Load("b1");
            Assert.Equal(60, batch.Completed);
            Assert.All(batch.Features, f => Assert.Equal(1, f.Attempts));
        }

        [Fact]
        public void The_claims_of_a_process_of_this_machine_that_is_gone_are_free_at_once()
        {
            Create("b1", "a", "b");
            var dead = new WorkerIdentity(Environment.MachineName, 999999999, "s1");
            var elsewhere = new WorkerIdentity("another-machine", 999999999, "s1");
            Store().Claim("b1", new ClaimRequest(elsewhere, 1), None);
            Store().Claim("b1", new ClaimRequest(dead, 1), None);
            var grant = Claim(Alice, 5);
            // The dead process's claim is taken at once; the other machine's holds until its lease runs out.
            Assert.Equal(new[] { "b" }, grant.Claimed.Select(f => f.Name));
            Assert.Equal(1, grant.HeldByOthers);
        }

        [Fact]
        public void New_features_are_added_at_the_end_once_and_the_old_ones_keep_their_results()
        {
            Create("b1", "a", "b");
            Store().Record("b1", Result("a", FeatureStatus.Completed), None);
            Assert.Equal(2, Store().AddFeatures("b1", new[] { "a", "c", "d", "c" }, None));
            Assert.Equal(0, Store().AddFeatures("b1", new[] { "a", "c" }, None));
            var batch = Store().Load("b1");
            Assert.Equal(new[] { "a", "b", "c", "d" }, batch.Features.Select(f => f.Name));
            Assert.Equal(new[] { 0, 1, 2, 3 }, batch.Features.Select(f => f.Index));
            Assert.Equal(FeatureStatus.Completed, batch.Find("a")!.Status);
            Assert.Equal(3, batch.Pending);
            Assert.Equal(StateErrorIds.InvalidFeatureName, Assert.Throws<InvalidBatchDefinitionException>(() => Store().AddFeatures("b1", new[] { "e", "" }, None)).ErrorId);
            Assert.Null(Store().Load("b1").Find("e")); // all or nothing
            Assert.Equal(new[] { "b", "c", "d" }, Claim(Alice, 5).Claimed.Select(f => f.Name));
        }
    }
}
