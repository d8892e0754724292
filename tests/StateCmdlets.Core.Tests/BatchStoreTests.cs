using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore.Schema;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class BatchStoreTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore NewStore(IFileSystem? fs = null, SchemaMigrator? migrator = null) =>
            new FileBatchStore(_dir.State, new FileStoreOptions
            {
                FileSystem = fs ?? PhysicalFileSystem.Instance,
                Migrator = migrator ?? BatchSchema.Migrator,
                LockTimeout = TimeSpan.FromSeconds(30),
            });

        private Batch Create(string id, params string[] features) =>
            NewStore().Create(new BatchDefinition("test " + id, features) { BatchId = id }, replace: false, CancellationToken.None);

        private static FeatureResult Done(string feature) => new FeatureResult(feature, FeatureStatus.Completed);

        private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

        [Fact]
        public void Create_then_load_round_trips_every_field()
        {
            var store = NewStore();
            store.Create(new BatchDefinition("Nightly 日本", new[] { "a", "日本 ünïcødé", "c\"q" }) { BatchId = "b1", MaxAttempts = 5 }, false, CancellationToken.None);
            store.Record("b1", new FeatureResult("a", FeatureStatus.Completed, data: Json("{\"hash\":\"AB\",\"n\":[1,2]}")), CancellationToken.None);
            store.Record("b1", new FeatureResult("日本 ünïcødé", FeatureStatus.Failed, "boom"), CancellationToken.None);

            var loaded = NewStore().Load("b1");
            Assert.Equal("Nightly 日本", loaded.Name);
            Assert.Equal(5, loaded.MaxAttempts);
            Assert.Equal("1.3.0", loaded.SchemaVersion.ToString());
            Assert.Equal(new[] { "a", "日本 ünïcødé", "c\"q" }, loaded.Features.Select(f => f.Name));
            Assert.Equal("AB", loaded.Find("a")!.Data!.Value.GetProperty("hash").GetString());
            Assert.Equal(FeatureStatus.Failed, loaded.Find("日本 ünïcødé")!.Status);
            Assert.Equal("boom", loaded.Find("日本 ünïcødé")!.LastError);
            Assert.Equal(DateTimeKind.Utc, loaded.CreatedAt.Kind);
            Assert.True(loaded.UpdatedAt >= loaded.CreatedAt);
            // Non-ASCII is stored readable, not \u-escaped.
            Assert.Contains("日本 ünïcødé", File.ReadAllText(_dir.File("b1.json"), Encoding.UTF8));
        }

        [Fact]
        public void A_generated_id_is_used_when_none_is_given()
        {
            var batch = NewStore().Create(new BatchDefinition("n", new[] { "a" }), false, CancellationToken.None);
            Assert.Matches("^batch-\\d{8}-\\d{6}-[0-9a-f]{4}$", batch.BatchId);
            Assert.True(File.Exists(_dir.File(batch.BatchId + ".json")));
        }

        [Fact]
        public void Creating_an_existing_batch_is_refused_unless_replacing()
        {
            Create("b1", "a");
            var store = NewStore();
            store.Record("b1", Done("a"), CancellationToken.None);
            byte[] before = File.ReadAllBytes(_dir.File("b1.json"));

            var error = Assert.Throws<BatchAlreadyExistsException>(() => Create("b1", "x"));
            Assert.Equal(_dir.File("b1.json"), error.Path);
            Assert.Equal(before, File.ReadAllBytes(_dir.File("b1.json")));

            store.Create(new BatchDefinition("new", new[] { "x", "y" }) { BatchId = "b1" }, replace: true, CancellationToken.None);
            Assert.Equal(new[] { "x", "y" }, store.Load("b1").Features.Select(f => f.Name));
        }

        [Fact]
        public void Replacing_an_unreadable_batch_moves_it_aside_instead_of_destroying_it()
        {
            Directory.CreateDirectory(_dir.State);
            byte[] garbage = Encoding.UTF8.GetBytes("{\"batchId\": \"b1\", \"feat");
            File.WriteAllBytes(_dir.File("b1.json"), garbage);

            NewStore().Create(new BatchDefinition("n", new[] { "a" }) { BatchId = "b1" }, replace: true, CancellationToken.None);

            string aside = Assert.Single(Directory.GetFiles(_dir.State, "b1.json.corrupt-*"));
            Assert.Equal(garbage, File.ReadAllBytes(aside));
            Assert.Equal("a", NewStore().Load("b1").Features.Single().Name);
        }

        [Fact]
        public void Invalid_definitions_create_nothing()
        {
            Assert.Throws<InvalidBatchDefinitionException>(() => Create("b1", "a", "a"));
            Assert.False(File.Exists(_dir.File("b1.json")));
        }

        [Fact]
        public void A_recorded_result_is_seen_by_a_fresh_store()
        {
            Create("b1", "a", "b");
            NewStore().Record("b1", Done("b"), CancellationToken.None);
            var batch = NewStore().Load("b1");
            Assert.Equal(FeatureStatus.Completed, batch.Find("b")!.Status);
            Assert.Equal(new[] { "a" }, batch.Remaining(true).Select(f => f.Name));
        }

        [Fact]
        public void An_unknown_feature_changes_nothing_on_disk()
        {
            Create("b1", "a");
            byte[] before = File.ReadAllBytes(_dir.File("b1.json"));
            Assert.Throws<FeatureNotFoundException>(() => NewStore().Record("b1", Done("zzz"), CancellationToken.None));
            Assert.Equal(before, File.ReadAllBytes(_dir.File("b1.json")));
        }

        [Fact]
        public void A_missing_batch_is_BatchNotFound()
        {
            var error = Assert.Throws<BatchNotFoundException>(() => NewStore().Load("nope"));
            Assert.Equal(_dir.File("nope.json"), error.Path);
            Assert.Throws<BatchNotFoundException>(() => NewStore().Record("nope", Done("a"), CancellationToken.None));
        }

        [Theory]
        [InlineData("../x")]
        [InlineData("a/b")]
        [InlineData("..")]
        [InlineData("/etc/passwd")]
        public void Ids_that_are_paths_are_refused_and_nothing_is_created_outside_the_state_directory(string id)
        {
            var store = NewStore();
            Assert.Throws<InvalidBatchIdException>(() => store.Create(new BatchDefinition("n", new[] { "a" }) { BatchId = id }, false, CancellationToken.None));
            Assert.Throws<InvalidBatchIdException>(() => store.Load(id));
            Assert.Throws<InvalidBatchIdException>(() => store.Record(id, Done("a"), CancellationToken.None));
            Assert.Throws<InvalidBatchIdException>(() => store.Remove(id, CancellationToken.None));
            Assert.Empty(Directory.GetFileSystemEntries(_dir.Root)); // not even the state directory
        }

        [Theory]
        [InlineData("", 0L)]
        [InlineData("   \n", 0L)]
        [InlineData("{\"schemaVersion\": \"1.0.0\", \"batchId\": \"b1\",", 42L)]
        [InlineData("{\"batchId\": \"b1\"\n  \"name\": 1}", 19L)]
        [InlineData("[1, 2", 5L)]
        public void Truncated_or_malformed_JSON_is_StateFileCorrupt_with_offset_and_the_file_is_unchanged(string content, long offset)
        {
            Directory.CreateDirectory(_dir.State);
            byte[] bytes = Encoding.UTF8.GetBytes(content);
            File.WriteAllBytes(_dir.File("b1.json"), bytes);

            var error = Assert.Throws<StateFileCorruptException>(() => NewStore().Load("b1"));
            Assert.Equal("StateFileCorrupt", error.ErrorId);
            Assert.Equal(_dir.File("b1.json"), error.Path);
            Assert.Equal(offset, error.Offset);
            Assert.Contains("b1.json", error.Message);

            Assert.Throws<StateFileCorruptException>(() => NewStore().Record("b1", Done("a"), CancellationToken.None));
            Assert.Equal(bytes, File.ReadAllBytes(_dir.File("b1.json")));
        }

        [Theory]
        [InlineData("features[1].status", "\"status\": \"Done\"")]
        [InlineData("features[1].attempts", "\"attempts\": -1")]
        [InlineData("features[1].name", "\"name\": 42")]
        [InlineData("features[1].updatedAt", "\"updatedAt\": \"yesterday\"")]
        public void Schema_violations_name_the_json_path(string at, string badProperty)
        {
            Directory.CreateDirectory(_dir.State);
            string json = "{\"batchId\":\"b1\",\"name\":\"n\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\"," +
                "\"features\":[{\"name\":\"a\"},{\"name\":\"b\"," + badProperty + "}]}";
            File.WriteAllText(_dir.File("b1.json"), json.Replace("{\"name\":\"b\",\"name\": 42}", "{\"name\": 42}"));
            var error = Assert.Throws<StateFileCorruptException>(() => NewStore().Load("b1"));
            Assert.Contains(at, error.Message);
        }

        [Fact]
        public void Duplicate_features_in_a_file_or_a_mismatched_batch_id_are_corruption()
        {
            Directory.CreateDirectory(_dir.State);
            string header = "\"name\":\"n\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\",";
            File.WriteAllText(_dir.File("b1.json"), "{\"batchId\":\"b1\"," + header + "\"features\":[{\"name\":\"a\"},{\"name\":\"a\"}]}");
            Assert.Contains("more than once", Assert.Throws<StateFileCorruptException>(() => NewStore().Load("b1")).Message);
            File.WriteAllText(_dir.File("b2.json"), "{\"batchId\":\"other\"," + header + "\"features\":[]}");
            Assert.Contains("named for 'b2'", Assert.Throws<StateFileCorruptException>(() => NewStore().Load("b2")).Message);
        }

        [Fact]
        public void The_1_0_0_fixture_loads()
        {
            Directory.CreateDirectory(_dir.State);
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.0.0.json"), _dir.File("v1.0.0.json"));
            var batch = NewStore().Load("v1.0.0");
            Assert.Equal(4, batch.Total);
            Assert.Equal((1, 1, 1, 1), (batch.Completed, batch.Failed, batch.Skipped, batch.Pending));
            Assert.Equal("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", batch.Find("srv-001")!.Data!.Value.GetProperty("Sha256").GetString());
            Assert.Equal(new[] { "日本 ünïcødé", "srv-004" }, batch.Remaining(true).Select(f => f.Name));
        }

        [Fact]
        public void A_file_without_schemaVersion_reads_as_1_0_0()
        {
            Directory.CreateDirectory(_dir.State);
            File.WriteAllText(_dir.File("b1.json"), "{\"batchId\":\"b1\",\"name\":\"n\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\",\"features\":[{\"name\":\"a\"}]}");
            var outcome = NewStore().InspectVersion("b1");
            Assert.Equal("1.0.0", outcome.FromVersion.ToString());
            Assert.Equal(MigrationAction.NeedsMigration, outcome.Action);
            Assert.Equal(FeatureStatus.Pending, NewStore().Load("b1").Find("a")!.Status);
        }

        [Fact]
        public void A_newer_major_version_is_refused_and_left_untouched()
        {
            Create("b1", "a");
            string path = _dir.File("b1.json");
            File.WriteAllText(path, File.ReadAllText(path).Replace("\"1.3.0\"", "\"2.0.0\""));
            byte[] before = File.ReadAllBytes(path);

            var error = Assert.Throws<StateVersionTooNewException>(() => NewStore().Load("b1"));
            Assert.Equal("2.0.0", error.FileVersion);
            Assert.Throws<StateVersionTooNewException>(() => NewStore().Record("b1", Done("a"), CancellationToken.None));
            Assert.Throws<StateVersionTooNewException>(() => NewStore().Migrate("b1", CancellationToken.None));
            Assert.Equal(before, File.ReadAllBytes(path));
        }

        [Fact]
        public void A_newer_minor_version_is_read_and_its_unknown_fields_survive_a_rewrite()
        {
            Create("b1", "a");
            string path = _dir.File("b1.json");
            var doc = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            doc["schemaVersion"] = "1.4.0";
            doc["futureTop"] = new JsonObject { ["x"] = 1 };
            doc["settings"]!.AsObject()["futureSetting"] = "s";
            doc["features"]![0]!.AsObject()["futureFeature"] = new JsonArray(1, 2);
            File.WriteAllText(path, doc.ToJsonString());

            NewStore().Record("b1", Done("a"), CancellationToken.None);

            var after = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            Assert.Equal("1.4.0", (string?)after["schemaVersion"]);
            Assert.Equal(1, (int)after["futureTop"]!["x"]!);
            Assert.Equal("s", (string?)after["settings"]!["futureSetting"]);
            Assert.Equal(2, after["features"]![0]!["futureFeature"]!.AsArray().Count);
            Assert.Equal("Completed", (string?)after["features"]![0]!["status"]);
        }

        [Fact]
        public void Listing_returns_batches_only()
        {
            Create("b1", "a");
            Create("b2", "a");
            File.WriteAllText(_dir.File("notes.txt"), "x");
            File.WriteAllText(_dir.File(".b1.json.abc.tmp"), "x");
            File.WriteAllText(_dir.File("b1.json.v0.9.0.bak"), "x");
            File.WriteAllText(_dir.File("bad name.json"), "x");
            Assert.Equal(new[] { "b1", "b2" }, NewStore().ListBatchIds());
        }

        [Fact]
        public void Listing_a_missing_directory_is_empty()
        {
            Assert.Empty(NewStore().ListBatchIds());
        }

        [Fact]
        public void Batches_whose_ids_extend_each_other_never_claim_each_others_files()
        {
            // "a.journal"'s snapshot is a.journal.json; "a.json.v1.0.0"'s backup looks like a migration backup of "a".
            Create("a", "x");
            Create("a.journal", "x");
            Create("a.json.v1.0.0", "x");
            File.WriteAllText(_dir.File(".a.journal.json.0123456789ab.tmp"), "a.journal's write in progress");
            File.WriteAllText(_dir.File(".a.json.0123456789ab.tmp"), "a's leftover");

            Assert.Equal(new[] { _dir.File(".a.json.0123456789ab.tmp") },
                NewStore().Inspect("a").Where(p => p.Kind == StateProblemKind.OrphanTempFile).Select(p => p.Path));
            NewStore().Remove("a", CancellationToken.None);

            Assert.Equal(new[] { ".a.journal.json.0123456789ab.tmp", "a.journal.journal", "a.journal.json", "a.journal.json.bak", "a.journal.lock",
                                 "a.json.v1.0.0.journal", "a.json.v1.0.0.json", "a.json.v1.0.0.json.bak", "a.json.v1.0.0.lock" },
                Directory.GetFiles(_dir.State).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Equal(new[] { "a.journal", "a.json.v1.0.0" }, NewStore().ListBatchIdsToInspect());
        }

        [Fact]
        public void A_new_batch_never_writes_over_the_recoverable_journal_and_backup_of_a_lost_snapshot()
        {
            Create("b1", "a", "b");
            NewStore().Record("b1", Done("a"), CancellationToken.None);
            File.Delete(_dir.File("b1.json"));
            byte[] journal = File.ReadAllBytes(_dir.File("b1.journal"));
            byte[] backup = File.ReadAllBytes(_dir.File("b1.json.bak"));

            var error = Assert.Throws<BatchAlreadyExistsException>(() => Create("b1", "x"));
            Assert.Contains("Repair-BatchState -BatchId b1", error.Message);
            Assert.Equal(journal, File.ReadAllBytes(_dir.File("b1.journal")));
            Assert.Equal(backup, File.ReadAllBytes(_dir.File("b1.json.bak")));
            Assert.False(File.Exists(_dir.File("b1.json")));

            // Repair gets the result back; -Force would have replaced it.
            Assert.True(NewStore().Repair("b1", CancellationToken.None).Recovered);
            Assert.Equal(FeatureStatus.Completed, NewStore().Load("b1").Find("a")!.Status);
            NewStore().Create(new BatchDefinition("again", new[] { "x" }) { BatchId = "b1" }, replace: true, CancellationToken.None);
            Assert.Equal(new[] { "x" }, NewStore().Load("b1").Features.Select(f => f.Name));
        }

        [Fact]
        public void A_batch_whose_snapshot_is_missing_is_still_found_for_checking()
        {
            Create("b1", "a");
            Create("b2", "a");
            File.Delete(_dir.File("b1.json"));
            Assert.Equal(new[] { "b2" }, NewStore().ListBatchIds());
            Assert.Equal(new[] { "b1", "b2" }, NewStore().ListBatchIdsToInspect());
            Assert.Equal(StateProblemKind.MissingSnapshot, Assert.Single(NewStore().Inspect("b1")).Kind);
        }

        [Fact]
        public void Remove_deletes_every_file_of_the_batch_and_nothing_else()
        {
            Create("b1", "a");
            Create("b10", "a");
            File.WriteAllText(_dir.File(".b1.json.abc.tmp"), "x");
            File.WriteAllText(_dir.File("b1.json.v0.9.0.bak"), "x");
            File.WriteAllText(_dir.File("b1.journal"), "x");
            File.WriteAllText(_dir.File("b1.jsonx"), "x");

            var removed = NewStore().Remove("b1", CancellationToken.None).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal);

            Assert.Equal(new[] { ".b1.json.abc.tmp", "b1.journal", "b1.json", "b1.json.bak", "b1.json.v0.9.0.bak", "b1.lock" }, removed);
            Assert.Equal(new[] { "b1.jsonx", "b10.journal", "b10.json", "b10.json.bak", "b10.lock" }, Directory.GetFiles(_dir.State).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            Assert.Throws<BatchNotFoundException>(() => NewStore().Remove("b1", CancellationToken.None));
        }

        [Fact]
        public void The_state_directory_is_created_owner_only_on_unix()
        {
            if (!UnixMode.Applies) return;
            Create("b1", "a");
            Assert.Equal("700", UnixMode.Of(_dir.State));
            Assert.Equal("600", UnixMode.Of(_dir.File("b1.json")));
            Assert.Equal("600", UnixMode.Of(_dir.File("b1.lock")));
        }

        [Theory]
        [InlineData("OpenWrite")]
        [InlineData("Write")]
        [InlineData("Flush")]
        public void A_failed_update_changes_nothing_on_disk(string step)
        {
            Create("b1", "a", "b");
            byte[] snapshot = File.ReadAllBytes(_dir.File("b1.json"));
            byte[] journal = File.ReadAllBytes(_dir.File("b1.journal"));
            var store = NewStore(new FaultyFileSystem { FailOn = step });

            var error = Assert.Throws<StateIOException>(() => store.Record("b1", Done("a"), CancellationToken.None));
            Assert.Equal("StateFileIOError", error.ErrorId);
            Assert.Equal(_dir.File("b1.journal"), error.Path);
            Assert.Equal(snapshot, File.ReadAllBytes(_dir.File("b1.json")));
            Assert.Equal(journal, File.ReadAllBytes(_dir.File("b1.journal")));
            Assert.Equal(FeatureStatus.Pending, NewStore().Load("b1").Find("a")!.Status);
        }

        [Theory]
        [InlineData("CreateNew")]
        [InlineData("Write")]
        [InlineData("Flush")]
        [InlineData("Replace")]
        public void A_failed_snapshot_write_leaves_the_snapshot_byte_identical_and_loses_no_result(string step)
        {
            Create("b1", "a", "b");
            NewStore().Record("b1", Done("a"), CancellationToken.None);
            byte[] before = File.ReadAllBytes(_dir.File("b1.json"));
            var store = NewStore(new FaultyFileSystem { FailOn = step });

            var error = Assert.Throws<StateIOException>(() => store.Checkpoint("b1", CancellationToken.None));
            Assert.Equal(_dir.File("b1.json"), error.Path);
            Assert.Equal(before, File.ReadAllBytes(_dir.File("b1.json")));
            Assert.Empty(Directory.GetFiles(_dir.State, "*.tmp"));
            Assert.Equal(FeatureStatus.Completed, NewStore().Load("b1").Find("a")!.Status);
        }

        // ---- migration, with a test step 1.3.0 -> 1.4.0 standing in for the next real one ----

        private sealed class AddSettingNote : IMigrationStep
        {
            public SchemaVersion From => new SchemaVersion(1, 3, 0);

            public SchemaVersion To => new SchemaVersion(1, 4, 0);

            public string Description => "1.3.0 to 1.4.0 adds settings.migratedBy";

            public JsonObject Apply(JsonObject document)
            {
                document["settings"] ??= new JsonObject();
                document["settings"]!.AsObject()["migratedBy"] = "test-step";
                return document;
            }
        }

        private static SchemaMigrator TestMigrator() =>
            new SchemaMigrator(new SchemaVersion(1, 4, 0), new IMigrationStep[] { new StateCmdlets.Core.Batches.FileStore.Schema.AddJournalMark(), new StateCmdlets.Core.Batches.FileStore.Schema.AddRetryAndContext(), new StateCmdlets.Core.Batches.FileStore.Schema.AddClaims(), new AddSettingNote() });

        [Fact]
        public void Migrate_backs_up_the_original_then_rewrites_in_the_current_version()
        {
            Create("b1", "a");
            byte[] original = File.ReadAllBytes(_dir.File("b1.json"));
            var store = NewStore(migrator: TestMigrator());

            var inspected = store.InspectVersion("b1");
            Assert.Equal(MigrationAction.NeedsMigration, inspected.Action);
            Assert.Equal(_dir.File("b1.json.v1.3.0.bak"), inspected.BackupPath);
            Assert.Equal(original, File.ReadAllBytes(_dir.File("b1.json")));

            var outcome = store.Migrate("b1", CancellationToken.None);
            Assert.Equal(MigrationAction.Migrated, outcome.Action);
            Assert.Equal(("1.3.0", "1.4.0"), (outcome.FromVersion.ToString(), outcome.ToVersion.ToString()));
            Assert.Equal(_dir.File("b1.json.v1.3.0.bak"), outcome.BackupPath);
            Assert.Equal(original, File.ReadAllBytes(outcome.BackupPath!));

            var rewritten = JsonNode.Parse(File.ReadAllText(_dir.File("b1.json")))!;
            Assert.Equal("1.4.0", (string?)rewritten["schemaVersion"]);
            Assert.Equal("test-step", (string?)rewritten["settings"]!["migratedBy"]);
            Assert.Equal(MigrationAction.UpToDate, store.Migrate("b1", CancellationToken.None).Action);
        }

        [Fact]
        public void A_second_original_of_the_same_version_gets_a_backup_of_its_own()
        {
            Create("b1", "a");
            byte[] first = File.ReadAllBytes(_dir.File("b1.json"));
            NewStore(migrator: TestMigrator()).Migrate("b1", CancellationToken.None);
            // The 1.3.0 file comes back (restored from elsewhere), different, and is migrated again.
            NewStore().Create(new BatchDefinition("test b1", new[] { "a", "b" }) { BatchId = "b1" }, replace: true, CancellationToken.None);
            File.WriteAllBytes(_dir.File("b1.json.v1.3.0.bak"), first); // Create -Force deleted the old backups; put the first back
            byte[] second = File.ReadAllBytes(_dir.File("b1.json"));
            Assert.Matches(@"b1\.json\.v1\.3\.0\.\d{8}T\d{9}Z\.bak$", NewStore(migrator: TestMigrator()).InspectVersion("b1").BackupPath);

            var outcome = NewStore(migrator: TestMigrator()).Migrate("b1", CancellationToken.None);

            Assert.Equal(first, File.ReadAllBytes(_dir.File("b1.json.v1.3.0.bak")));
            Assert.Matches(@"b1\.json\.v1\.3\.0\.\d{8}T\d{9}Z\.bak$", outcome.BackupPath);
            Assert.Equal(second, File.ReadAllBytes(outcome.BackupPath!));
            var files = new BatchFiles(_dir.State, "b1");
            Assert.True(files.IsMigrationBackup(Path.GetFileName(outcome.BackupPath!)));
            Assert.Contains(outcome.BackupPath!, NewStore().Remove("b1", CancellationToken.None));
        }

        [Fact]
        public void The_first_write_to_an_older_file_backs_it_up()
        {
            Create("b1", "a");
            byte[] original = File.ReadAllBytes(_dir.File("b1.json"));
            NewStore(migrator: TestMigrator()).Record("b1", Done("a"), CancellationToken.None);
            Assert.Equal(original, File.ReadAllBytes(_dir.File("b1.json.v1.3.0.bak")));
            Assert.Contains("\"1.4.0\"", File.ReadAllText(_dir.File("b1.json")));
        }

        [Fact]
        public void A_migration_that_fails_to_write_leaves_the_original_in_place()
        {
            Create("b1", "a");
            byte[] original = File.ReadAllBytes(_dir.File("b1.json"));
            var fs = new FaultyFileSystem();
            var store = NewStore(fs, TestMigrator());
            // Let the backup through, fail the rewrite of b1.json itself.
            fs.BeforeReplace = source => fs.FailOn = source.Contains(".b1.json.v") ? null : "Replace";
            Assert.Throws<StateIOException>(() => store.Migrate("b1", CancellationToken.None));
            Assert.Equal(original, File.ReadAllBytes(_dir.File("b1.json")));
        }

        [Fact]
        public void Trace_reports_the_lock_and_the_write()
        {
            Create("b1", "a");
            var lines = new List<string>();
            var store = new FileBatchStore(_dir.State, new FileStoreOptions { Trace = lines.Add });
            store.Record("b1", Done("a"), CancellationToken.None);
            Assert.Contains(lines, l => l.StartsWith("Locked '" + _dir.File("b1.lock") + "' after ", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("Wrote record(s) up to 1 to '" + _dir.File("b1.journal") + "'", StringComparison.Ordinal));
        }

        [Fact]
        public void A_trace_that_throws_once_the_lock_is_taken_does_not_keep_the_lock()
        {
            Create("b1", "a", "b");
            // As a cmdlet's WriteVerbose does while Ctrl+C stops its pipeline.
            var stopping = new FileBatchStore(_dir.State, new FileStoreOptions { Trace = line => { if (line.StartsWith("Locked ", StringComparison.Ordinal)) throw new OperationCanceledException("stopping"); } });
            Assert.Throws<OperationCanceledException>(() => stopping.Record("b1", Done("a"), CancellationToken.None));

            var store = new FileBatchStore(_dir.State, new FileStoreOptions { LockTimeout = TimeSpan.FromSeconds(2) });
            store.Record("b1", Done("b"), CancellationToken.None);
            Assert.Equal(FeatureStatus.Completed, store.Load("b1").Find("b")!.Status);
            Assert.Equal(FeatureStatus.Pending, store.Load("b1").Find("a")!.Status);
        }
    }
}
