using System;
using System.Linq;
using System.Text;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore.Schema;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class BatchTests
    {
        private static readonly DateTime Now = new DateTime(2026, 11, 25, 10, 15, 0, DateTimeKind.Utc);

        internal static Batch Make(params string[] features) => Make(3, features);

        internal static Batch Make(int maxAttempts, params string[] features) =>
            Batch.Create("b1", new BatchDefinition("test", features) { MaxAttempts = maxAttempts }, Now, BatchSchema.Current);

        private static void Record(Batch batch, string feature, FeatureStatus status, string? error = null) =>
            batch.Apply(new FeatureResult(feature, status, error), Now, "b1.json");

        [Fact]
        public void Duplicate_feature_names_are_refused_at_creation()
        {
            var error = Assert.Throws<InvalidBatchDefinitionException>(() => Make("a", "b", "a"));
            Assert.Equal("DuplicateFeature", error.ErrorId);
            Assert.Contains("items 1 and 3", error.Message);
        }

        [Fact]
        public void Names_differing_only_in_case_are_distinct_features()
        {
            var batch = Make("web01", "WEB01");
            Assert.Equal(2, batch.Total);
        }

        [Fact]
        public void Empty_or_broken_names_are_refused()
        {
            // Lone surrogates would not survive UTF-8 (built here: theory data would mangle them).
            foreach (string name in new[] { "", "\ud800", "ok\udc00", "\udc00\ud800" })
            {
                var error = Assert.Throws<InvalidBatchDefinitionException>(() => Make(name));
                Assert.Equal("InvalidFeatureName", error.ErrorId);
            }
        }

        [Fact]
        public void White_space_only_names_are_refused_and_the_error_says_which_item()
        {
            foreach (string name in new[] { " ", "  ", "\t", "\u00a0\r\n" })
            {
                var error = Assert.Throws<InvalidBatchDefinitionException>(() => Make("a", name, "b"));
                Assert.Equal("InvalidFeatureName", error.ErrorId);
                Assert.Contains("white space (item 2)", error.Message);
            }
            Assert.Contains("empty (item 3)", Assert.Throws<InvalidBatchDefinitionException>(() => Make("a", "b", "")).Message);
            var blankBatchName = Assert.Throws<InvalidBatchDefinitionException>(() =>
                Batch.Create("b1", new BatchDefinition("   ", new[] { "a" }), Now, BatchSchema.Current));
            Assert.Equal("InvalidBatchName", blankBatchName.ErrorId);
            // Surrounding white space is part of a name, as any other character.
            Assert.Equal(" a ", Make(" a ").Features[0].Name);
        }

        [Fact]
        public void Names_may_hold_any_unicode_up_to_1024_characters()
        {
            string emoji = string.Concat(Enumerable.Repeat("\U0001F600", 1024)); // 2048 UTF-16 units, 1024 characters
            var batch = Make(new string('x', 1024), emoji, "日本 ünïcødé\ttab \"quote\"");
            Assert.Equal(3, batch.Total);
            var error = Assert.Throws<InvalidBatchDefinitionException>(() => Make(new string('x', 1025)));
            Assert.Contains("1025 characters", error.Message);
        }

        [Fact]
        public void MaxAttempts_below_one_is_refused()
        {
            Assert.Throws<InvalidBatchDefinitionException>(() => Make(0, "a"));
        }

        [Fact]
        public void Remaining_is_pending_plus_failed_with_attempts_left_in_batch_order()
        {
            var batch = Make(2, "a", "b", "c", "d", "e");
            Record(batch, "a", FeatureStatus.Completed);
            Record(batch, "b", FeatureStatus.Failed, "once");
            Record(batch, "c", FeatureStatus.Failed, "once");
            Record(batch, "c", FeatureStatus.Failed, "twice");
            Record(batch, "d", FeatureStatus.Skipped, "not needed");

            Assert.Equal(new[] { "b", "e" }, batch.Remaining(includeFailed: true).Select(f => f.Name));
            Assert.Equal(new[] { "e" }, batch.Remaining(includeFailed: false).Select(f => f.Name));
        }

        [Fact]
        public void Every_result_counts_one_attempt_and_success_clears_the_error()
        {
            var batch = Make("a");
            Record(batch, "a", FeatureStatus.Failed, "timeout");
            var feature = batch.Find("a")!;
            Assert.Equal(1, feature.Attempts);
            Assert.Equal("timeout", feature.LastError);
            Assert.Null(feature.CompletedAt);

            Record(batch, "a", FeatureStatus.Completed);
            Assert.Equal(2, feature.Attempts);
            Assert.Null(feature.LastError);
            Assert.Equal(Now, feature.CompletedAt);
        }

        [Fact]
        public void Skipped_keeps_its_reason()
        {
            var batch = Make("a");
            Record(batch, "a", FeatureStatus.Skipped, "decommissioned");
            Assert.Equal("decommissioned", batch.Find("a")!.LastError);
        }

        [Fact]
        public void Data_is_replaced_when_given_and_kept_when_not()
        {
            var batch = Make("a");
            var data = System.Text.Json.JsonDocument.Parse("{\"x\":1}").RootElement;
            batch.Apply(new FeatureResult("a", FeatureStatus.Failed, "e", data), Now, "p");
            batch.Apply(new FeatureResult("a", FeatureStatus.Completed), Now, "p");
            Assert.Equal(1, batch.Find("a")!.Data!.Value.GetProperty("x").GetInt32());
        }

        [Fact]
        public void Unknown_features_and_pending_results_are_refused()
        {
            var batch = Make("a");
            Assert.Equal("FeatureNotFound", Assert.Throws<FeatureNotFoundException>(() => Record(batch, "A", FeatureStatus.Completed)).ErrorId);
            Assert.Throws<InvalidFeatureResultException>(() => Record(batch, "a", FeatureStatus.Pending));
            Assert.Equal(0, batch.Find("a")!.Attempts);
        }

        [Fact]
        public void Counters_and_status_follow_the_features()
        {
            var batch = Make(1, "a", "b", "c");
            Assert.Equal(BatchStatus.Pending, batch.Status);
            Assert.Equal((3, 0, 0, 0, 3), (batch.Total, batch.Completed, batch.Failed, batch.Skipped, batch.Pending));

            Record(batch, "a", FeatureStatus.Completed);
            Assert.Equal(BatchStatus.Running, batch.Status);
            Record(batch, "b", FeatureStatus.Skipped);
            Record(batch, "c", FeatureStatus.Failed, "x");
            Assert.Equal((3, 1, 1, 1, 0), (batch.Total, batch.Completed, batch.Failed, batch.Skipped, batch.Pending));
            Assert.Equal(BatchStatus.CompletedWithFailures, batch.Status);

            Record(batch, "c", FeatureStatus.Completed);
            Assert.Equal(BatchStatus.Completed, batch.Status);
        }

        [Fact]
        public void A_failure_with_attempts_left_keeps_the_batch_running()
        {
            var batch = Make(3, "a");
            Record(batch, "a", FeatureStatus.Failed, "x");
            Assert.Equal(BatchStatus.Running, batch.Status);
        }

        [Theory]
        [InlineData("batch-1", true)]
        [InlineData("A.b_c-9", true)]
        [InlineData("../x", false)]
        [InlineData("a/b", false)]
        [InlineData("a\\b", false)]
        [InlineData(".hidden", false)]
        [InlineData("-dash", false)]
        [InlineData("", false)]
        [InlineData("spa ce", false)]
        public void Batch_ids_are_plain_names(string id, bool valid)
        {
            Assert.Equal(valid, BatchId.IsValid(id));
        }

        [Fact]
        public void Batch_ids_are_at_most_128_characters()
        {
            Assert.True(BatchId.IsValid(new string('a', 128)));
            Assert.False(BatchId.IsValid(new string('a', 129)));
        }

        [Fact]
        public void Generated_ids_carry_the_time_and_a_random_suffix()
        {
            string id = BatchId.Generate(Now);
            Assert.Matches("^batch-20261125-101500-[0-9a-f]{4}$", id);
            Assert.True(BatchId.IsValid(id));
        }
    }
}
