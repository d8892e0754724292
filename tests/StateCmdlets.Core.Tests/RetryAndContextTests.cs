using System;
using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore.Schema;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>Schema 1.2.0: permanent failures, backoff, the circuit breaker, the context budget, checkpoints.</summary>
    public sealed class RetryAndContextTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private DateTime _now = new DateTime(2026, 11, 25, 10, 0, 0, DateTimeKind.Utc);

        public void Dispose() => _dir.Dispose();

        // A FaultyFileSystem per store: its own writer cache, as another process would have.
        private FileBatchStore Store() => new FileBatchStore(_dir.State, new FileStoreOptions { FileSystem = new FaultyFileSystem(), UtcNow = () => _now });

        private void Create(BatchSettings settings, params string[] features) =>
            Store().Create(new BatchDefinition("retry", features) { BatchId = "b1", Settings = settings }, false, CancellationToken.None);

        private BatchSummary Fail(string feature, string? errorType = null, bool permanent = false) =>
            Summary(Store().Record("b1", new FeatureResult(feature, FeatureStatus.Failed, "boom") { ErrorTypes = errorType == null ? Array.Empty<string>() : new[] { errorType }, Permanent = permanent }, CancellationToken.None));

        private BatchSummary Summary(RecordOutcome _) => Store().Summary("b1", CancellationToken.None);

        [Fact]
        public void A_permanent_failure_is_never_handed_out_again_and_is_failed_for_good()
        {
            Create(new BatchSettings(), "a", "b");
            Fail("a", permanent: true);
            var batch = Store().Load("b1");
            Assert.True(batch.Find("a")!.Permanent);
            Assert.Equal(new[] { "b" }, batch.Remaining(includeFailed: true).Select(f => f.Name));
        }

        [Fact]
        public void An_exception_type_listed_as_permanent_makes_the_failure_permanent_by_full_or_short_name()
        {
            Create(new BatchSettings { PermanentErrorTypes = new[] { "UnauthorizedAccessException", "System.IO.FileNotFoundException" } }, "a", "b", "c");
            Fail("a", "System.UnauthorizedAccessException");
            Fail("b", "System.IO.FileNotFoundException");
            Fail("c", "System.TimeoutException");
            var batch = Store().Load("b1");
            Assert.True(batch.Find("a")!.Permanent);
            Assert.True(batch.Find("b")!.Permanent);
            Assert.False(batch.Find("c")!.Permanent);
        }

        [Fact]
        public void A_failure_waits_for_its_backoff_doubling_per_attempt_with_jitter_and_a_cap()
        {
            Create(new BatchSettings { RetryDelay = TimeSpan.FromSeconds(10), MaxRetryDelay = TimeSpan.FromSeconds(30), MaxAttempts = 5, MaxConsecutiveFailures = 0 }, "a");
            var waits = new double[4];
            for (int i = 0; i < 4; i++)
            {
                Fail("a");
                var retryAt = Store().Load("b1").Find("a")!.RetryAt!.Value;
                waits[i] = (retryAt - _now).TotalSeconds;
                Assert.Equal(ReadinessKind.Waiting, Store().ReadinessOf("b1", "a", true, CancellationToken.None).Kind);
                _now = retryAt.AddMilliseconds(1);
                Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "a", true, CancellationToken.None).Kind);
            }
            Assert.InRange(waits[0], 7.5, 12.5);   // 10 s ± 25 %
            Assert.InRange(waits[1], 15, 25);      // 20 s ± 25 %
            Assert.InRange(waits[2], 22.5, 30);    // 40 s, capped at 30
            Assert.InRange(waits[3], 22.5, 30);
        }

        [Fact]
        public void Without_a_retry_delay_a_failure_is_ready_at_once()
        {
            Create(new BatchSettings(), "a");
            Fail("a");
            Assert.Null(Store().Load("b1").Find("a")!.RetryAt);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "a", true, CancellationToken.None).Kind);
        }

        [Fact]
        public void Failures_in_a_row_suspend_the_batch_until_a_reset_or_a_success()
        {
            Create(new BatchSettings { MaxConsecutiveFailures = 3, MaxAttempts = 10 }, "a", "b", "c", "d");
            Fail("a");
            Store().Record("b1", new FeatureResult("b", FeatureStatus.Skipped, "n/a"), CancellationToken.None); // a skip neither counts nor closes
            Fail("a");
            Assert.Equal(BatchStatus.Running, Store().Load("b1").Status);
            var summary = Fail("a");
            Assert.Equal(BatchStatus.Suspended, summary.Status);
            Assert.Equal(3, summary.ConsecutiveFailures);
            Assert.Equal(ReadinessKind.Suspended, Store().ReadinessOf("b1", "c", true, CancellationToken.None).Kind);

            Assert.Equal(BatchStatus.Running, Store().ResetBreaker("b1", CancellationToken.None).Status);
            Assert.Equal(0, Store().Load("b1").ConsecutiveFailures); // replayed from the journal by a fresh reader
            Fail("c");
            Fail("c");
            Fail("c");
            Assert.Equal(BatchStatus.Suspended, Store().Load("b1").Status);
            Store().Record("b1", new FeatureResult("d", FeatureStatus.Completed), CancellationToken.None);
            Assert.Equal(BatchStatus.Running, Store().Load("b1").Status);
        }

        [Fact]
        public void A_breaker_of_zero_never_suspends()
        {
            Create(new BatchSettings { MaxConsecutiveFailures = 0, MaxAttempts = 20 }, "a");
            for (int i = 0; i < 10; i++) Fail("a");
            Assert.Equal(BatchStatus.Running, Store().Load("b1").Status);
        }

        [Fact]
        public void Context_tokens_add_up_to_the_limit_and_a_reset_records_the_clear()
        {
            Create(new BatchSettings { ContextTokenLimit = 1000 }, "a", "b", "c");
            Store().Record("b1", new FeatureResult("a", FeatureStatus.Completed) { ContextTokens = 600 }, CancellationToken.None);
            Assert.False(Store().Load("b1").ShouldClearContext);
            Store().Record("b1", new FeatureResult("b", FeatureStatus.Failed, "x") { ContextTokens = 400 }, CancellationToken.None);
            var before = Store().Load("b1");
            Assert.Equal(1000, before.ContextTokens);
            Assert.True(before.ShouldClearContext);

            _now = _now.AddMinutes(5);
            var summary = Store().ResetContext("b1", CancellationToken.None);
            Assert.Equal(0, summary.ContextTokens);
            var after = Store().Load("b1");
            Assert.False(after.ShouldClearContext);
            var clear = Assert.Single(after.ContextClears);
            Assert.Equal((1000L, _now), (clear.TokensBefore, clear.At));

            // And after a checkpoint, from the snapshot alone.
            Store().Checkpoint("b1", CancellationToken.None);
            var folded = Store().Load("b1");
            Assert.Single(folded.ContextClears);
            Assert.Equal(1, folded.CheckpointCount);
            Assert.Equal(_now, folded.LastCheckpointAt);
        }

        [Fact]
        public void Negative_tokens_are_refused()
        {
            Create(new BatchSettings(), "a");
            Assert.Throws<InvalidFeatureResultException>(() => Store().Record("b1", new FeatureResult("a", FeatureStatus.Completed) { ContextTokens = -1 }, CancellationToken.None));
        }

        [Fact]
        public void A_feature_another_process_finished_meanwhile_is_not_handed_out()
        {
            Create(new BatchSettings(), "a", "b");
            Store().Record("b1", new FeatureResult("a", FeatureStatus.Completed), CancellationToken.None);
            Assert.Equal(ReadinessKind.Done, Store().ReadinessOf("b1", "a", true, CancellationToken.None).Kind);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "b", true, CancellationToken.None).Kind);
        }

        [Theory]
        [InlineData("v1.0.0")]
        [InlineData("v1.1.0")]
        [InlineData("v1.2.0")]
        [InlineData("v1.3.0")]
        public void Every_schema_version_ever_written_loads_and_migrates_to_the_current_one(string fixture)
        {
            Directory.CreateDirectory(_dir.State);
            foreach (string ext in new[] { ".json", ".journal" })
            {
                string source = Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture + ext);
                if (File.Exists(source)) File.Copy(source, _dir.File(fixture + ext));
            }
            byte[] original = File.ReadAllBytes(_dir.File(fixture + ".json"));
            var loaded = Store().Load(fixture);
            string before = Describe(loaded);

            var outcome = Store().Migrate(fixture, CancellationToken.None);
            Assert.Equal(BatchSchema.Current, outcome.ToVersion);
            if (outcome.FromVersion < BatchSchema.Current)
            {
                Assert.Equal(MigrationAction.Migrated, outcome.Action);
                Assert.Equal(original, File.ReadAllBytes(outcome.BackupPath!));
            }
            var migrated = Store().Load(fixture);
            Assert.Equal(BatchSchema.Current, migrated.SchemaVersion);
            Assert.Equal(before, Describe(migrated));
        }

        [Fact]
        public void The_1_2_0_fixture_holds_what_was_written()
        {
            Directory.CreateDirectory(_dir.State);
            foreach (string ext in new[] { ".json", ".journal" })
                File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.2.0" + ext), _dir.File("v1.2.0" + ext));
            var b = Store().Load("v1.2.0");
            Assert.Equal((50L, 1, 0, 1), (b.ContextTokens, b.ContextClears.Count, b.ConsecutiveFailures, b.CheckpointCount));
            Assert.Equal(new[] { "db" }, b.Find("app")!.DependsOn);
            Assert.True(b.Find("extra")!.Permanent);
            Assert.True(b.Find("日本 ünïcødé")!.Permanent);
            Assert.NotNull(b.Find("cache")!.RetryAt);
            Assert.Equal(TimeSpan.FromSeconds(30), b.Settings.RetryDelay);
            Assert.Equal(new[] { "UnauthorizedAccessException" }, b.Settings.PermanentErrorTypes);
        }

        [Fact]
        public void The_1_3_0_fixture_holds_claims_tokens_and_blocked_by()
        {
            Directory.CreateDirectory(_dir.State);
            foreach (string ext in new[] { ".json", ".journal" })
                File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.3.0" + ext), _dir.File("v1.3.0" + ext));
            var b = Store().Load("v1.3.0");
            Assert.Equal(TimeSpan.FromSeconds(45), b.Settings.Lease);
            Assert.Equal(4, b.LastClaimToken);
            Assert.Equal("a", b.Find("b")!.BlockedBy);
            Assert.Equal(FeatureStatus.Completed, b.Find("e")!.Status);
            Assert.Equal(4, b.Find("e")!.ClaimToken);
            Assert.Null(b.Find("e")!.ClaimedBy); // the result ended the claim
            Assert.Equal(3, b.Find("d ü")!.ClaimToken);
            Assert.Null(b.Find("d ü")!.ClaimedBy); // released when its process exited
            Assert.Equal(0, b.InProgressAt(DateTime.UtcNow));
        }

        [Fact]
        public void A_1_2_0_skip_worded_as_blocked_by_a_dependency_becomes_blocked_by()
        {
            Directory.CreateDirectory(_dir.State);
            string json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.2.0.json"));
            var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
            node.Remove("journalGeneration"); // the snapshot alone
            var features = node["features"]!.AsArray();
            var app = features.First(f => (string?)f!["name"] == "app")!.AsObject();
            app["status"] = "Skipped";
            app["lastError"] = "Skipped because 'db' did not complete (Failed: down)";
            File.WriteAllText(_dir.File("v1.2.0.json"), node.ToJsonString());
            var b = Store().Load("v1.2.0");
            Assert.Equal("db", b.Find("app")!.BlockedBy);
        }

        private static string Describe(Batch b) =>
            string.Join("|", b.Features.Select(f => $"{f.Name}:{f.Status}:{f.Attempts}:{f.LastError}:{f.Permanent}")) + $"|{b.ContextTokens}|{b.ConsecutiveFailures}|{b.MaxAttempts}";
    }
}
