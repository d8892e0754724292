using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using StateCmdlets.Core.StateFiles;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class StateFileStoreTests
    {
        private static readonly CancellationToken None = CancellationToken.None;

        private static JsonElement Json(string text)
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }

        private static readonly JsonSerializerOptions Readable = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        private static string Compact(JsonElement element) => JsonSerializer.Serialize(element, Readable);

        [Fact]
        public void Save_then_read_gives_the_same_document_with_the_users_properties_at_the_top_level_in_order()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore();
            store.Save(path, Json("{\"zeta\":1,\"alpha\":{\"list\":[1,\"two\",null,true]},\"name\":\"Zoë ✓\"}"), null, None);

            Assert.Equal("{\"zeta\":1,\"alpha\":{\"list\":[1,\"two\",null,true]},\"name\":\"Zoë ✓\"}", Compact(store.Read(path)));
            string text = File.ReadAllText(path, Encoding.UTF8);
            Assert.Contains("\"name\": \"Zoë ✓\"", text); // readable, not \u-escaped
            Assert.DoesNotContain("schemaVersion", text);
            Assert.Equal(new[] { "state.json", "state.json.lock" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void Save_with_a_schema_version_puts_it_first_or_in_its_place()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore();
            store.Save(path, Json("{\"runs\":1}"), new SchemaVersion(1, 2, 0), None);
            Assert.Equal("{\"schemaVersion\":\"1.2.0\",\"runs\":1}", Compact(store.Read(path)));
            store.Save(path, Json("{\"runs\":2,\"schemaVersion\":\"0.0.1\",\"z\":0}"), new SchemaVersion(1, 3, 0), None);
            Assert.Equal("{\"runs\":2,\"schemaVersion\":\"1.3.0\",\"z\":0}", Compact(store.Read(path)));
        }

        [Theory]
        [InlineData("CreateNew")]
        [InlineData("SetUnixMode")]
        [InlineData("Write")]
        [InlineData("Flush")]
        [InlineData("Replace")]
        public void A_failed_save_leaves_the_old_file_byte_identical_and_no_temp_file(string step)
        {
            if (step == "SetUnixMode" && !UnixMode.Applies) return; // Windows keeps no mode
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            new StateFileStore().Save(path, Json("{\"old\":true}"), null, None);
            byte[] before = File.ReadAllBytes(path);
            var store = new StateFileStore(new StateFileOptions { FileSystem = new FaultyFileSystem { FailOn = step } });

            var error = Assert.Throws<StateIOException>(() => store.Save(path, Json("{\"new\":true}"), null, None));

            Assert.Equal("StateFileIOError", error.ErrorId);
            Assert.Equal(path, error.Path);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Equal(new[] { "state.json", "state.json.lock" }, Directory.GetFiles(dir.Root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void A_save_writes_a_temp_file_in_the_same_folder_fsyncs_renames_and_fsyncs_the_folder()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var fs = new FaultyFileSystem();
            new StateFileStore(new StateFileOptions { FileSystem = fs }).Save(path, Json("{}"), null, None);
            Assert.Equal(new[] { "CreateNew", "Write", "Flush", "Close", "Replace", "FlushDirectory" }, fs.Operations.Select(o => o.Split(' ')[0]));
            Assert.StartsWith("CreateNew .state.json.", fs.Operations[0]);
        }

        [Fact]
        public void Updates_from_several_threads_under_the_lock_lose_no_increment()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "counter.json");
            const int threads = 8, each = 40;
            var store = new StateFileStore();
            using var start = new ManualResetEventSlim();
            var workers = Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(() =>
            {
                start.Wait();
                for (int i = 0; i < each; i++)
                {
                    store.Update(path, current =>
                    {
                        int runs = current.HasValue ? current.Value.GetProperty("runs").GetInt32() : 0;
                        Thread.Yield(); // widen the read-modify-write window
                        return Json("{\"runs\":" + (runs + 1) + "}");
                    }, null, None);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            start.Set();
            Assert.True(Task.WaitAll(workers, TimeSpan.FromSeconds(120)));

            Assert.Equal(threads * each, store.Read(path).GetProperty("runs").GetInt32());
        }

        [Fact]
        public void Update_hands_null_for_a_missing_file_and_returns_what_it_wrote()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "new.json");
            bool sawNull = false;
            var written = new StateFileStore().Update(path, current => { sawNull = current == null; return Json("{\"a\":1}"); }, new SchemaVersion(1, 0, 0), None);
            Assert.True(sawNull);
            Assert.Equal("{\"schemaVersion\":\"1.0.0\",\"a\":1}", Compact(written));
            Assert.Equal(Compact(written), Compact(new StateFileStore().Read(path)));
        }

        [Fact]
        public void A_failure_inside_an_update_leaves_the_file_as_it_was_and_releases_the_lock()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore();
            store.Save(path, Json("{\"runs\":1}"), null, None);
            byte[] before = File.ReadAllBytes(path);

            Assert.Throws<InvalidOperationException>(() => store.Update(path, _ => throw new InvalidOperationException("boom"), null, None));
            Assert.Equal(before, File.ReadAllBytes(path));

            var error = Assert.Throws<InvalidStateDocumentException>(() => store.Update(path, _ => Json("[1,2]"), null, None));
            Assert.Equal("InvalidStateDocument", error.ErrorId);
            Assert.Equal(before, File.ReadAllBytes(path));

            // The lock was released both times: another thread takes it at once.
            Task.Run(() => store.WithLock(path, () => true, None)).Wait(TimeSpan.FromSeconds(10));
        }

        [Fact]
        public void A_trace_that_throws_once_the_lock_is_taken_does_not_keep_the_lock()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            new StateFileStore().Save(path, Json("{\"runs\":1}"), null, None);
            // As a cmdlet's WriteVerbose does while Ctrl+C stops its pipeline.
            var stopping = new StateFileStore(new StateFileOptions { Trace = line => { if (line.StartsWith("Locked ", StringComparison.Ordinal)) throw new OperationCanceledException("stopping"); } });
            Assert.Throws<OperationCanceledException>(() => stopping.Update(path, _ => Json("{\"runs\":2}"), null, None));

            var written = new StateFileStore(new StateFileOptions { LockTimeout = TimeSpan.FromSeconds(2) }).Update(path, _ => Json("{\"runs\":3}"), null, None);
            Assert.Equal("{\"runs\":3}", Compact(written));
        }

        [Theory]
        [InlineData("{\"runs\": 1,, \"x\": 2}", 11)]
        [InlineData("{\"a\": {\"b\": 1, \"b\": 2}}", 15)]
        [InlineData("{\"Runs\": 1, \"runs\": 2}", 12)]
        public void A_corrupt_file_is_StateFileCorrupt_with_its_offset_and_stays_as_it_is(string content, long offset)
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            File.WriteAllText(path, content);
            byte[] before = File.ReadAllBytes(path);
            var store = new StateFileStore();

            var read = Assert.Throws<StateFileCorruptException>(() => store.Read(path));
            Assert.Equal("StateFileCorrupt", read.ErrorId);
            Assert.Equal(offset, read.Offset);
            Assert.Equal(path, read.Path);
            Assert.Contains("byte " + offset, read.Message);

            bool called = false;
            var update = Assert.Throws<StateFileCorruptException>(() => store.Update(path, c => { called = true; return Json("{}"); }, null, None));
            Assert.Equal(offset, update.Offset);
            Assert.False(called);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.False(File.Exists(path + ".v1.0.0.bak"));
        }

        [Fact]
        public void Reading_a_missing_file_is_StateFileNotFound_and_creates_nothing()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "none.json");
            var error = Assert.Throws<StateFileNotFoundException>(() => new StateFileStore().Read(path));
            Assert.Equal("StateFileNotFound", error.ErrorId);
            Assert.Equal(path, error.Path);
            Assert.Empty(Directory.GetFiles(dir.Root));
        }

        [Fact]
        public void Writing_into_a_missing_folder_is_an_error_and_creates_no_folder()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "missing", "state.json");
            var error = Assert.Throws<StateIOException>(() => new StateFileStore().Save(path, Json("{}"), null, None));
            Assert.Equal("StateFileIOError", error.ErrorId);
            Assert.Contains("does not exist", error.Message);
            Assert.False(Directory.Exists(Path.Combine(dir.Root, "missing")));
        }

        [Fact]
        public void Schema_versions_guard_updates_and_saves()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore();
            File.WriteAllText(path, "{\"schemaVersion\":\"2.0.0\",\"x\":1}");
            byte[] before = File.ReadAllBytes(path);

            var update = Assert.Throws<StateVersionTooNewException>(() => store.Update(path, c => c!.Value, new SchemaVersion(1, 4, 0), None));
            Assert.Equal("2.0.0", update.FileVersion);
            Assert.DoesNotContain("Update StateCmdlets", update.Message);
            Assert.Throws<StateVersionTooNewException>(() => store.Save(path, Json("{}"), new SchemaVersion(1, 4, 0), None));
            Assert.Equal(before, File.ReadAllBytes(path));

            var older = Assert.Throws<StateMigrationRequiredException>(() => store.Update(path, c => c!.Value, new SchemaVersion(3, 0, 0), None));
            Assert.Equal("StateMigrationRequired", older.ErrorId);
            Assert.Equal(before, File.ReadAllBytes(path));

            // Same major: a newer minor in the file is kept, an older one is raised.
            Assert.Equal("2.1.0", store.Update(path, c => c!.Value, new SchemaVersion(2, 1, 0), None).GetProperty("schemaVersion").GetString());
            Assert.Equal("2.1.0", store.Update(path, c => c!.Value, new SchemaVersion(2, 0, 5), None).GetProperty("schemaVersion").GetString());
            // Without a version nothing is checked, and a save replaces whatever was there.
            store.Save(path, Json("{\"y\":2}"), new SchemaVersion(3, 0, 0), None);
            Assert.Equal("{\"schemaVersion\":\"3.0.0\",\"y\":2}", Compact(store.Read(path)));
        }

        [Fact]
        public void The_lock_excludes_other_threads_and_refuses_the_same_thread_at_once()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore(new StateFileOptions { LockTimeout = TimeSpan.FromSeconds(30) });
            var quick = new StateFileStore(new StateFileOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });

            store.WithLock(path, () =>
            {
                var other = Task.Run(() => quick.Update(path, _ => Json("{}"), null, None));
                var timeout = Assert.Throws<AggregateException>(() => other.Wait(TimeSpan.FromSeconds(30)));
                Assert.IsType<StateLockTimeoutException>(timeout.InnerException);
                Assert.Equal(path + ".lock", ((StateLockTimeoutException)timeout.InnerException!).Path);

                var nested = Assert.Throws<StateLockReentrancyException>(() => store.Update(path, _ => Json("{}"), null, None));
                Assert.Equal("StateLockReentrant", nested.ErrorId);
                return 0;
            }, None);

            Assert.False(File.Exists(path));
            Assert.Throws<InvalidOperationException>(() => store.WithLock<int>(path, () => throw new InvalidOperationException(), None));
            Assert.True(Task.Run(() => quick.WithLock(path, () => true, None)).Wait(TimeSpan.FromSeconds(10)));
        }

        public static TheoryData<string, string> FolderPaths => new TheoryData<string, string>
        {
            // (what is called, how the folder is named)
            { "Read", "sub" }, { "Read", "sub/" },
            { "Save", "sub" }, { "Save", "sub/" },
            { "Update", "sub" }, { "Update", "sub/" },
            { "WithLock", "sub" }, { "WithLock", "sub/" },
            { "Inspect", "sub" }, { "Inspect", "sub/" },
            { "InspectMigration", "sub" }, { "InspectMigration", "sub/" },
            { "Migrate", "sub" }, { "Migrate", "sub/" },
            { "Save", "new/" },
        };

        [Theory]
        [MemberData(nameof(FolderPaths))]
        public void A_path_naming_a_folder_is_StateFileIsFolder_and_creates_nothing(string operation, string name)
        {
            using var dir = new TempDirectory();
            Directory.CreateDirectory(Path.Combine(dir.Root, "sub"));
            string path = Path.Combine(dir.Root, name.Replace('/', Path.DirectorySeparatorChar));
            var store = new StateFileStore();
            var migration = new StateFileMigration(new[] { new StateFileStep(new SchemaVersion(1, 0, 0), d => new StateFileStepResult(d, new SchemaVersion(1, 1, 0))) });
            bool ran = false;
            Action call = operation switch
            {
                "Read" => () => store.Read(path),
                "Save" => () => store.Save(path, Json("{\"a\":1}"), null, None),
                "Update" => () => store.Update(path, c => { ran = true; return Json("{}"); }, null, None),
                "WithLock" => () => store.WithLock(path, () => ran = true, None),
                "Inspect" => () => store.Inspect(path),
                "InspectMigration" => () => store.InspectMigration(path, migration),
                _ => () => store.Migrate(path, migration, None),
            };

            var error = Assert.Throws<StateFileIsFolderException>(call);

            Assert.Equal("StateFileIsFolder", error.ErrorId);
            Assert.Equal(Path.GetFullPath(path), error.Path);
            Assert.Contains("names a folder", error.Message);
            Assert.False(ran);
            // No stray sub.lock (or anything else) next to the folder, nothing in it.
            Assert.Equal(new[] { "sub" }, Directory.GetFileSystemEntries(dir.Root).Select(Path.GetFileName));
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir.Root, "sub")));
        }

        [Theory]
        [InlineData("state.json.lock")]
        [InlineData("state.json.v1.0.0.bak")]
        [InlineData("state.json.v12.3.40.bak")]
        [InlineData("state.json.v1.0.0.20260102T030405006Z.bak")]
        [InlineData(".state.json.0123456789ab.tmp")]
        [InlineData("state.json.corrupt-20260102T030405006Z")]
        [InlineData("B.json.bak.corrupt-20260102T030405006Z")]
        public void The_modules_own_files_are_auxiliary(string name)
        {
            Assert.True(AuxiliaryFiles.IsAuxiliary(name));
        }

        [Theory]
        [InlineData("state.json")]
        [InlineData("state")]
        [InlineData("backup.json")]
        [InlineData("notes.bak")]
        [InlineData("state.json.v1.0.bak")]
        [InlineData("state.json.vnext.bak")]
        [InlineData("state.json.v1.0.0.yesterday.bak")]
        [InlineData("lockfile.json")]
        [InlineData("report.tmp")]
        [InlineData(".state.json.tmp")]
        [InlineData(".hidden.json")]
        [InlineData("corrupt-report.json")]
        public void State_files_are_not_auxiliary(string name)
        {
            Assert.False(AuxiliaryFiles.IsAuxiliary(name));
        }

        [Fact]
        public void The_names_the_store_makes_are_all_auxiliary()
        {
            var files = new StateFilePaths(Path.Combine(Path.GetTempPath(), "app.json"));
            var version = new SchemaVersion(2, 10, 3);
            var at = new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc);
            foreach (string path in new[] { files.Lock, files.Backup(version), files.Backup(version, at), AuxiliaryFiles.CorruptCopyOf(files.Data, at) })
                Assert.True(AuxiliaryFiles.IsAuxiliary(Path.GetFileName(path)), path);
            Assert.True(AuxiliaryFiles.IsAuxiliary(AuxiliaryFiles.TempName(files.FileName)));
            Assert.Equal(files.Data + ".v2.10.3.20260102T030405006Z.bak", files.Backup(version, at));
            Assert.False(AuxiliaryFiles.IsAuxiliary(files.FileName));
        }

        [Fact]
        public void New_state_lock_and_backup_files_are_owner_only_on_unix()
        {
            if (!UnixMode.Applies) return;
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "state.json");
            var store = new StateFileStore();
            store.Update(path, _ => Json("{\"a\":1}"), null, None);
            Assert.Equal("600", UnixMode.Of(path));
            Assert.Equal("600", UnixMode.Of(path + ".lock"));

            UnixMode.Set(path, "644"); // the backup is a new file all the same
            var migration = new StateFileMigration(new[] { new StateFileStep(new SchemaVersion(1, 0, 0), d => new StateFileStepResult(d, new SchemaVersion(1, 1, 0))) });
            var outcome = store.Migrate(path, migration, None);
            Assert.Equal("600", UnixMode.Of(outcome.BackupPath!));
        }
    }
}
