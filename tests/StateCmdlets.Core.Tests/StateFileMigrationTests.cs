using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using StateCmdlets.Core.StateFiles;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class StateFileMigrationTests
    {
        private static readonly SchemaVersion V100 = new SchemaVersion(1, 0, 0);
        private static readonly SchemaVersion V110 = new SchemaVersion(1, 1, 0);
        private static readonly SchemaVersion V120 = new SchemaVersion(1, 2, 0);
        private static readonly SchemaVersion V200 = new SchemaVersion(2, 0, 0);

        /// <summary>1.0.0 -> 1.1.0 renames "count" to "runs"; 1.1.0 -> 1.2.0 adds "tags".</summary>
        private static StateFileMigration Steps(SchemaVersion? target = null, Action? onRun = null) => new StateFileMigration(new[]
        {
            new StateFileStep(V100, doc =>
            {
                onRun?.Invoke();
                var o = JsonNode.Parse(doc.GetRawText())!.AsObject();
                var count = o["count"];
                o.Remove("count");
                o["runs"] = count?.DeepClone();
                return new StateFileStepResult(Element(o), V110);
            }),
            new StateFileStep(V110, doc =>
            {
                var o = JsonNode.Parse(doc.GetRawText())!.AsObject();
                o["tags"] = new JsonArray();
                return new StateFileStepResult(Element(o), V120);
            }),
        }, target);

        private static JsonElement Element(JsonNode node)
        {
            using var document = JsonDocument.Parse(node.ToJsonString());
            return document.RootElement.Clone();
        }

        [Fact]
        public void Migrate_backs_up_the_exact_original_then_rewrites_through_every_step()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{ \"count\": 7, \"name\": \"x\" }"); // no schemaVersion: 1.0.0
            byte[] original = File.ReadAllBytes(path);
            var store = new StateFileStore();

            var outcome = store.Migrate(path, Steps(), CancellationToken.None);

            Assert.Equal(MigrationAction.Migrated, outcome.Action);
            Assert.Equal(V100, outcome.FromVersion);
            Assert.Equal(V120, outcome.ToVersion);
            Assert.Equal(path + ".v1.0.0.bak", outcome.BackupPath);
            Assert.Equal(original, File.ReadAllBytes(outcome.BackupPath!));
            Assert.Equal("{\"schemaVersion\":\"1.2.0\",\"name\":\"x\",\"runs\":7,\"tags\":[]}", JsonSerializer.Serialize(store.Read(path)));

            var again = store.Migrate(path, Steps(), CancellationToken.None);
            Assert.Equal(MigrationAction.UpToDate, again.Action);
            Assert.Equal(V120, again.ToVersion);
            Assert.Null(again.BackupPath);
        }

        [Fact]
        public void Inspect_runs_the_steps_in_memory_only()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{\"schemaVersion\":\"1.1.0\",\"runs\":1}");
            byte[] before = File.ReadAllBytes(path);

            var outcome = new StateFileStore().InspectMigration(path, Steps());

            Assert.Equal(MigrationAction.NeedsMigration, outcome.Action);
            Assert.Equal(V110, outcome.FromVersion);
            Assert.Equal(V120, outcome.ToVersion);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(new[] { "state.json" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName));
        }

        [Theory]
        [InlineData("2.0.0", null)]
        [InlineData("3.1.0", "2.0.0")]
        public void A_file_from_a_newer_major_than_the_steps_reach_is_refused_untouched_and_no_step_runs(string fileVersion, string? target)
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{\"schemaVersion\":\"" + fileVersion + "\",\"runs\":1}");
            byte[] before = File.ReadAllBytes(path);
            bool ran = false;
            var steps = target == null ? Steps(null, () => ran = true) : new StateFileMigration(new[] { new StateFileStep(V100, d => { ran = true; return new StateFileStepResult(d, V200); }) }, V200);

            var error = Assert.Throws<StateVersionTooNewException>(() => new StateFileStore().Migrate(path, steps, CancellationToken.None));

            Assert.Equal("StateVersionTooNew", error.ErrorId);
            Assert.Equal(fileVersion, error.FileVersion);
            Assert.Contains("not changed", error.Message);
            Assert.False(ran);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(new[] { "state.json", "state.json.lock" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void A_newer_minor_is_up_to_date_and_an_unknown_older_version_is_a_clear_error()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore();
            File.WriteAllText(path, "{\"schemaVersion\":\"1.5.0\"}");
            Assert.Equal(MigrationAction.UpToDate, store.Migrate(path, Steps(), CancellationToken.None).Action);

            File.WriteAllText(path, "{\"schemaVersion\":\"1.0.5\"}");
            byte[] before = File.ReadAllBytes(path);
            var error = Assert.Throws<StateVersionUnknownException>(() => store.Migrate(path, Steps(), CancellationToken.None));
            Assert.Equal("StateVersionUnknown", error.ErrorId);
            Assert.Contains("1.0.0, 1.1.0", error.Message);
            Assert.Equal(before, File.ReadAllBytes(path));
        }

        [Fact]
        public void Steps_must_move_forward_and_reach_the_target()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{\"a\":1}");
            byte[] before = File.ReadAllBytes(path);
            var store = new StateFileStore();

            var backwards = new StateFileMigration(new[] { new StateFileStep(V100, d => new StateFileStepResult(d, V100)) });
            Assert.Contains("not newer", Assert.Throws<InvalidMigrationStepException>(() => store.Migrate(path, backwards, CancellationToken.None)).Message);

            Assert.Contains("stop at 1.2.0", Assert.Throws<InvalidMigrationStepException>(() => store.Migrate(path, Steps(new SchemaVersion(1, 3, 0)), CancellationToken.None)).Message);

            var toMajor = new StateFileMigration(new[] { new StateFileStep(V100, d => new StateFileStepResult(d, V200)) });
            Assert.Contains("-TargetVersion 2.0.0", Assert.Throws<InvalidMigrationStepException>(() => store.Migrate(path, toMajor, CancellationToken.None)).Message);

            Assert.Throws<InvalidOperationException>(() => store.Migrate(path, new StateFileMigration(new[] { new StateFileStep(V100, _ => throw new InvalidOperationException()) }), CancellationToken.None));

            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.False(File.Exists(path + ".v1.0.0.bak"));

            // With the target named, a step into a new major version is fine, and its result is current afterwards.
            var withTarget = new StateFileMigration(new[] { new StateFileStep(V100, d => new StateFileStepResult(d, V200)) }, V200);
            Assert.Equal(MigrationAction.Migrated, store.Migrate(path, withTarget, CancellationToken.None).Action);
            Assert.Equal(MigrationAction.UpToDate, store.Migrate(path, withTarget, CancellationToken.None).Action);
        }

        /// <summary>1.0.0 -> 1.1.0 drops "Secret".</summary>
        private static StateFileMigration DropSecret() => new StateFileMigration(new[]
        {
            new StateFileStep(V100, doc =>
            {
                var o = JsonNode.Parse(doc.GetRawText())!.AsObject();
                o.Remove("Secret");
                return new StateFileStepResult(Element(o), V110);
            }),
        });

        [Fact]
        public void A_second_migration_from_the_same_version_keeps_both_originals()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "s.json");
            var clock = new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc);
            var store = new StateFileStore(new StateFileOptions { UtcNow = () => clock });

            File.WriteAllText(path, "{\"Secret\":\"first\"}");
            var first = store.Migrate(path, DropSecret(), CancellationToken.None);
            Assert.Equal(path + ".v1.0.0.bak", first.BackupPath);

            File.WriteAllText(path, "{\"Secret\":\"second-important\"}");
            byte[] second = File.ReadAllBytes(path);
            var again = store.Migrate(path, DropSecret(), CancellationToken.None);

            Assert.Equal(MigrationAction.Migrated, again.Action);
            Assert.Equal(path + ".v1.0.0.20260102T030405006Z.bak", again.BackupPath);
            Assert.Equal(second, File.ReadAllBytes(again.BackupPath!));
            Assert.Equal("{\"Secret\":\"first\"}", File.ReadAllText(first.BackupPath!));
            Assert.Equal("{\"schemaVersion\":\"1.1.0\"}", JsonSerializer.Serialize(store.Read(path)));

            // A third original in the same millisecond does not take the second's name either.
            File.WriteAllText(path, "{\"Secret\":\"third\"}");
            var third = store.Migrate(path, DropSecret(), CancellationToken.None);
            Assert.Equal(path + ".v1.0.0.20260102T030405007Z.bak", third.BackupPath);
            Assert.Equal("{\"Secret\":\"third\"}", File.ReadAllText(third.BackupPath!));
            Assert.Equal(second, File.ReadAllBytes(again.BackupPath!));
        }

        [Fact]
        public void A_backup_already_holding_the_very_same_original_is_reused()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "s.json");
            File.WriteAllText(path, "{\"Secret\":\"same\"}");
            File.Copy(path, path + ".v1.0.0.bak");
            var fs = new FaultyFileSystem();

            var outcome = new StateFileStore(new StateFileOptions { FileSystem = fs }).Migrate(path, DropSecret(), CancellationToken.None);

            Assert.Equal(path + ".v1.0.0.bak", outcome.BackupPath);
            Assert.Equal("{\"Secret\":\"same\"}", File.ReadAllText(outcome.BackupPath!));
            // Only the state file itself was written.
            Assert.Equal(new[] { "s.json" }, fs.Operations.Where(o => o.StartsWith("Replace ", StringComparison.Ordinal)).Select(o => o.Substring(8)));
            Assert.Equal(new[] { "s.json", "s.json.lock", "s.json.v1.0.0.bak" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void A_new_backup_is_fsynced_and_in_place_before_the_file_is_replaced()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "s.json");
            File.WriteAllText(path, "{\"Secret\":\"now\"}");
            File.WriteAllText(path + ".v1.0.0.bak", "{\"Secret\":\"earlier\"}");
            var fs = new FaultyFileSystem();
            var store = new StateFileStore(new StateFileOptions { FileSystem = fs, UtcNow = () => new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc) });

            store.Migrate(path, DropSecret(), CancellationToken.None);

            var ops = fs.Operations;
            int flushBackup = ops.FindIndex(o => o.StartsWith("Flush .s.json.v1.0.0.20260102T030405006Z.bak.", StringComparison.Ordinal));
            int placeBackup = ops.IndexOf("Replace s.json.v1.0.0.20260102T030405006Z.bak");
            int replaceFile = ops.IndexOf("Replace s.json");
            Assert.True(flushBackup >= 0 && flushBackup < placeBackup && placeBackup < replaceFile, string.Join(" | ", ops));
            Assert.Equal("FlushDirectory " + Path.GetFileName(dir.Root), ops[placeBackup + 1]);
        }

        [Fact]
        public void Inspect_plans_the_backup_and_lists_what_would_change()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{\"count\":7,\"name\":\"x\"}");
            File.WriteAllText(path + ".v1.0.0.bak", "another original");
            byte[] before = File.ReadAllBytes(path);
            var store = new StateFileStore(new StateFileOptions { UtcNow = () => new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc) });

            var plan = store.InspectMigration(path, Steps());

            Assert.Equal(path + ".v1.0.0.20260102T030405006Z.bak", plan.BackupPath);
            Assert.Equal(new[] { "count" }, plan.Changes!.Removed);
            Assert.Equal(new[] { "runs", "tags" }, plan.Changes.Added);
            Assert.Empty(plan.Changes.Changed);
            Assert.Equal("remove count, add runs, tags", plan.Changes.Describe());
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(new[] { "state.json", "state.json.v1.0.0.bak" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));

            File.WriteAllText(path, "{\"schemaVersion\":\"1.2.0\"}");
            var current = store.InspectMigration(path, Steps());
            Assert.Equal(MigrationAction.UpToDate, current.Action);
            Assert.Null(current.BackupPath);
            Assert.Null(current.Changes);
        }

        [Fact]
        public void Changes_are_json_paths_of_removed_added_and_changed_values()
        {
            var before = Element(JsonNode.Parse("{\"schemaVersion\":\"1.0.0\",\"A\":{\"X\":1,\"Y\":[1,2],\"Z\":{\"k\":true}},\"B\":2,\"n\":1.0,\"odd name\":\"a\",\"list\":[{\"p\":1}],\"same\":{\"u\":1,\"v\":2}}")!);
            var after = Element(JsonNode.Parse("{\"schemaVersion\":\"1.1.0\",\"same\":{\"v\":2,\"u\":1},\"A\":{\"X\":2,\"Y\":[1,2],\"W\":null,\"Z\":{\"k\":false}},\"C\":3,\"n\":1,\"odd name\":\"b\",\"list\":[{\"p\":2}]}")!);

            var changes = StateFileChanges.Between(before, after, "schemaVersion");

            Assert.Equal(new[] { "B" }, changes.Removed);
            Assert.Equal(new[] { "A.W", "C" }, changes.Added);
            // 1.0 and 1 are one number; property order is no change; an array changes as a whole.
            Assert.Equal(new[] { "A.X", "A.Z.k", "['odd name']", "list" }, changes.Changed);
            Assert.Equal("remove B, add A.W, C, change A.X, A.Z.k, ['odd name'], list", changes.Describe());
            Assert.Equal("remove B, add A.W, C and 4 more", changes.Describe(3));
            Assert.Contains("schemaVersion", StateFileChanges.Between(before, after).Changed);
            Assert.Equal(0, StateFileChanges.Between(before, before).Count);
            Assert.Equal(string.Empty, StateFileChanges.Between(before, before).Describe());
        }

        [Fact]
        public void A_lone_surrogate_as_Python_writes_it_is_compared_and_migrated_not_a_crash()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{\"count\": 7, \"text\": \"x\\ud800y\"}");
            var store = new StateFileStore();
            var keep = new StateFileMigration(new[] { new StateFileStep(V100, doc => new StateFileStepResult(doc, V110)) });
            // Comparing the documents (for -WhatIf) reads strings and names that .NET's GetString refuses.
            var plan = store.InspectMigration(path, keep);
            Assert.Equal(0, plan.Changes!.Count);
            store.Migrate(path, keep, CancellationToken.None);
            Assert.Contains("\"x\\ud800y\"", File.ReadAllText(path));
            var before = Element(JsonNode.Parse("{\"a\": 1}")!);
            using var surrogates = JsonDocument.Parse("{\"a\": \"\\ud800\", \"\\udc00\": 2}");
            Assert.Equal(new[] { "a" }, StateFileChanges.Between(before, surrogates.RootElement).Changed);
        }

        [Fact]
        public void A_long_list_of_changes_is_cut_short()
        {
            var before = Element(JsonNode.Parse("{}")!);
            var after = new JsonObject();
            for (int i = 0; i < 25; i++) after["k" + i] = i;

            string text = StateFileChanges.Between(before, Element(after)).Describe();

            Assert.Equal("add k0, k1, k2, k3, k4, k5, k6, k7, k8, k9 and 15 more", text);
        }

        [Fact]
        public void Migrating_a_missing_file_is_StateFileNotFound_without_a_stray_lock_file()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "none.json");
            Assert.Throws<StateFileNotFoundException>(() => new StateFileStore().Migrate(path, Steps(), CancellationToken.None));
            Assert.Empty(Directory.GetFiles(dir.Root));
        }
    }
}
