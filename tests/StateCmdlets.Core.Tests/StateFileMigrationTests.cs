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

        [Fact]
        public void An_existing_backup_of_that_version_is_kept_as_it_is()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, "{\"count\":1}");
            File.WriteAllText(path + ".v1.0.0.bak", "older backup");
            new StateFileStore().Migrate(path, Steps(), CancellationToken.None);
            Assert.Equal("older backup", File.ReadAllText(path + ".v1.0.0.bak"));
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
