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
        protected abstract IBatchStore Store();

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
        }

        [Fact]
        public void Failures_in_a_row_suspend_the_batch_until_the_breaker_is_reset()
        {
            Create("b1", new BatchSettings { MaxConsecutiveFailures = 2 }, "a", "b", "c");
            Store().Record("b1", Result("a", FeatureStatus.Failed, "1"), None);
            Store().Record("b1", Result("b", FeatureStatus.Failed, "2"), None);
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
    }
}
