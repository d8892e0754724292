using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Batches.Import;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>Import-BatchState's core: the autonomous-dev fixtures (copied from ../shared/fixtures) and synthetic files.</summary>
    public sealed class ImportTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore Store() => new FileBatchStore(_dir.State);

        private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "autonomous-dev", name);

        private Batch Import(string path, string? id = null)
        {
            var store = Store();
            var imported = Assert.Single(BatchImporter.ReadFile(store.Options.FileSystem, path, store.Options.UtcNow()));
            if (id != null) imported.BatchId = id;
            store.Import(imported, replace: false, CancellationToken.None);
            return Store().Load(imported.BatchId); // read back from disk
        }

        [Theory]
        [InlineData("custom-batch_state.json", 1, 0, 0, 0, 1)]
        [InlineData("origin-fresh-1.json", 4, 0, 0, 0, 4)]
        [InlineData("origin-legacy-1.json", 2, 1, 0, 0, 1)]
        [InlineData("origin-completed-1.json", 3, 3, 0, 0, 0)]
        [InlineData("origin-mixed-1.json", 14, 7, 2, 1, 4)]
        public void Every_fixture_imports_with_every_feature_and_its_outcome(string file, int total, int completed, int failed, int skipped, int pending)
        {
            byte[] source = File.ReadAllBytes(Fixture(file));
            var batch = Import(Fixture(file));
            Assert.Equal((total, completed, failed, skipped, pending), (batch.Total, batch.Completed, batch.Failed, batch.Skipped, batch.Pending));
            Assert.Equal(source, File.ReadAllBytes(Fixture(file))); // the source is only read
            Assert.NotNull(batch.Extensions);
        }

        [Fact]
        public void The_mixed_fixture_keeps_errors_attempts_skips_context_and_every_other_field()
        {
            var batch = Import(Fixture("origin-mixed-1.json"));
            Assert.Equal("batch-20261125-112431-523919", batch.BatchId);
            var timeout = batch.Features[4];
            Assert.Equal((FeatureStatus.Failed, "TimeoutError: host 1 unreachable", 2), (timeout.Status, timeout.LastError, timeout.Attempts));
            Assert.Equal((FeatureStatus.Failed, 3), (batch.Features[7].Status, batch.Features[7].Attempts));
            Assert.Equal((FeatureStatus.Skipped, "Security audit failed"), (batch.Features[11].Status, batch.Features[11].LastError));
            Assert.Equal(new[] { 3, 5, 10, 13 }, batch.Features.Where(f => f.Status == FeatureStatus.Pending).Select(f => f.Index));
            Assert.Equal("日本-0003 mailbox", batch.Features[3].Name);
            var clear = Assert.Single(batch.ContextClears);
            Assert.Equal(155001, clear.TokensBefore);
            Assert.Equal(1, batch.CheckpointCount);

            var ext = batch.Extensions!.Value;
            Assert.Equal(13, ext.GetProperty("current_index").GetInt32());
            Assert.Equal("abc0001", ext.GetProperty("git_operations").GetProperty("0").GetProperty("commit").GetProperty("sha").GetString());
            Assert.Equal("quality_gate", ext.GetProperty("skipped_features")[0].GetProperty("category").GetString());
            Assert.Equal(14, ext.GetProperty("issue_numbers").GetArrayLength());
            Assert.Equal("in_progress", ext.GetProperty("status").GetString());
        }

        [Fact]
        public void A_file_with_every_origin_field_imports_dependencies_duplicates_and_retries()
        {
            Directory.CreateDirectory(_dir.Root);
            string path = Path.Combine(_dir.Root, "every-field.json");
            File.WriteAllText(path, @"{
  ""batch_id"": ""batch-every-field"", ""features_file"": ""features.txt"", ""total_features"": 5,
  ""features"": [""db"", ""app"", ""web"", ""app"", ""docs""],
  ""current_index"": 4, ""completed_features"": [0, 2],
  ""failed_features"": [{""feature_index"": 1, ""error_message"": ""first"", ""timestamp"": ""2026-11-25T10:00:00Z""},
                        {""feature_index"": 1, ""error_message"": ""second"", ""timestamp"": ""2026-11-25T10:05:00Z"", ""retry_count"": 1},
                        {""feature_index"": 2, ""error_message"": ""then it worked"", ""timestamp"": ""2026-11-25T10:06:00Z""}],
  ""skipped_features"": [{""feature_index"": 4, ""feature_name"": ""docs"", ""reason"": ""not needed"", ""category"": ""scope"", ""timestamp"": ""2026-11-25T10:07:00Z""}],
  ""retry_attempts"": {""1"": 1, ""2"": 1},
  ""context_token_estimate"": 4200, ""auto_clear_count"": 2,
  ""auto_clear_events"": [{""feature_index"": 0, ""context_tokens_before_clear"": 150001, ""timestamp"": ""2026-11-25T09:00:00Z""},
                          {""feature_index"": 2, ""context_tokens_before_clear"": 151000, ""timestamp"": ""2026-11-25T09:30:00Z""}],
  ""feature_dependencies"": {""1"": [0], ""2"": [1, 3]},
  ""feature_order"": [0, 1, 3, 2, 4], ""feature_modes"": {""0"": ""fix""}, ""quality_metrics"": {""coverage"": 0.8},
  ""git_operations"": {}, ""analysis_metadata"": {""x"": 1}, ""workflow_mode"": ""auto-implement"", ""workflow_reminder"": ""r"",
  ""issue_numbers"": [1, 2, 3, 4, 5], ""source_type"": ""issues"", ""state_file"": ""s.json"",
  ""context_tokens_before_clear"": 151000, ""paused_at_feature_index"": 3,
  ""created_at"": ""2026-11-25T08:00:00Z"", ""updated_at"": ""2026-11-25T10:07:00Z"", ""status"": ""paused"",
  ""last_checkpoint_at"": ""2026-11-25T10:00:00Z"", ""checkpoint_count"": 3
}");
            var batch = Import(path);
            Assert.Equal("features.txt", batch.Name);
            Assert.Equal(new[] { "db", "app", "web", "app [3]", "docs" }, batch.Features.Select(f => f.Name));
            Assert.Equal((FeatureStatus.Failed, "second", 2), (batch.Features[1].Status, batch.Features[1].LastError, batch.Features[1].Attempts));
            Assert.Equal((FeatureStatus.Completed, (string?)null, 2), (batch.Features[2].Status, batch.Features[2].LastError, batch.Features[2].Attempts));
            Assert.Equal(FeatureStatus.Pending, batch.Features[3].Status); // current_index says 4, but nothing was recorded for it
            Assert.Equal(new[] { "app", "app [3]" }, batch.Features[2].DependsOn);
            Assert.Equal((4200L, 2, 3), (batch.ContextTokens, batch.ContextClears.Count, batch.CheckpointCount));
            Assert.Equal(new DateTime(2026, 11, 25, 8, 0, 0, DateTimeKind.Utc), batch.CreatedAt);
            Assert.Equal("paused", batch.Extensions!.Value.GetProperty("status").GetString());
            Assert.Equal(0.8, batch.Extensions!.Value.GetProperty("quality_metrics").GetProperty("coverage").GetDouble());
            Assert.Equal(new[] { "app", "app [3]" }, batch.RemainingInOrder(true).Select(f => f.Name));
        }

        [Fact]
        public void An_existing_batch_is_not_replaced_without_asking()
        {
            Import(Fixture("origin-fresh-1.json"));
            var store = Store();
            var again = Assert.Single(BatchImporter.ReadFile(store.Options.FileSystem, Fixture("origin-fresh-1.json"), store.Options.UtcNow()));
            Assert.Throws<BatchAlreadyExistsException>(() => store.Import(again, replace: false, CancellationToken.None));
            store.Import(again, replace: true, CancellationToken.None);
        }

        [Fact]
        public void Python_style_string_indices_and_odd_messages_are_read_as_meant()
        {
            Directory.CreateDirectory(_dir.Root);
            string path = Path.Combine(_dir.Root, "strings.json");
            File.WriteAllText(path, "{\"batch_id\": \"s1\", \"features\": [\"a\", \"b\", \"c\"], \"completed_features\": [\"0\"],"
                + " \"failed_features\": [{\"feature_index\": \"1\", \"error_message\": 42}], \"retry_attempts\": {\"1\": \"2\"},"
                + " \"feature_dependencies\": {\"2\": [\"1\"]}}", new UTF8Encoding(false));
            var batch = Import(path);
            Assert.Equal(FeatureStatus.Completed, batch.Find("a")!.Status);
            var b = batch.Find("b")!;
            Assert.Equal(FeatureStatus.Failed, b.Status);
            Assert.Equal("42", b.LastError);
            Assert.Equal(3, b.Attempts);
            Assert.Equal(new[] { "b" }, batch.Find("c")!.DependsOn);
        }

        [Fact]
        public void An_array_of_exported_batches_gives_each_one()
        {
            Directory.CreateDirectory(_dir.Root);
            string path = Path.Combine(_dir.Root, "all.json");
            File.WriteAllText(path, "[{\"BatchId\": \"x1\", \"Features\": [{\"Feature\": \"a\", \"Status\": 1}]}, {\"BatchId\": \"x2\", \"Features\": [{\"Feature\": \"b\", \"Status\": \"Failed\", \"Attempts\": 2, \"LastError\": \"no\"}]}]", new UTF8Encoding(false));
            var all = BatchImporter.ReadFile(PhysicalFileSystem.Instance, path, DateTime.UtcNow);
            Assert.Equal(new[] { "x1", "x2" }, all.Select(b => b.BatchId));
            foreach (var imported in all) Store().Import(imported, replace: false, CancellationToken.None);
            Assert.Equal(FeatureStatus.Completed, Store().Load("x1").Find("a")!.Status);
            Assert.Equal(2, Store().Load("x2").Find("b")!.Attempts);
        }

        [Theory]
        [InlineData("[1, 2]", "StateFileCorrupt")]
        [InlineData("{\"something\": 1}", "UnknownBatchFormat")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\"], \"completed_features\": [5]}", "StateFileCorrupt")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\", \"b\"], \"feature_dependencies\": {\"0\": [1], \"1\": [0]}}", "DependencyCycle")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\"", "StateFileCorrupt")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\"], \"context_token_estimate\": -5}", "StateFileCorrupt")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\"], \"completed_features\": {\"0\": true}}", "StateFileCorrupt")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\"], \"completed_features\": [\"x\"]}", "StateFileCorrupt")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\"], \"failed_features\": [{\"feature_index\": null}]}", "StateFileCorrupt")]
        [InlineData("{\"batch_id\": \"b\", \"features\": [\"a\"], \"created_at\": 5, \"checkpoint_count\": \"many\", \"failed_features\": [{\"feature_index\": 0, \"retry_count\": \"x\"}]}", "StateFileCorrupt")]
        [InlineData("{\"BatchId\": \"b\", \"Features\": [\"a\", \"b\"]}", "StateFileCorrupt")]
        public void Bad_input_is_a_clear_error_and_creates_nothing(string json, string errorId)
        {
            Directory.CreateDirectory(_dir.Root);
            string path = Path.Combine(_dir.Root, "bad.json");
            File.WriteAllText(path, json, new UTF8Encoding(false));
            var error = Assert.ThrowsAny<StateException>(() => Import(path));
            Assert.Equal(errorId, error.ErrorId);
            if (error is StateFileCorruptException) Assert.Equal(path, error.Path); // the source is named, not a batch file
            Assert.False(Directory.Exists(_dir.State) && Directory.GetFiles(_dir.State, "*.json").Length > 0);
        }
    }
}
