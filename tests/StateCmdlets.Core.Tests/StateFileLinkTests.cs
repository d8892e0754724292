using System;
using System.IO;
using System.Linq;
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
    /// <summary>A state file reached through symbolic links: the target is replaced and locked, never the link.</summary>
    public sealed class StateFileLinkTests : IDisposable
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly string _real;
        private readonly string _link;

        public StateFileLinkTests()
        {
            _real = Path.Combine(_dir.Root, "real.json");
            _link = Path.Combine(_dir.Root, "link.json");
        }

        public void Dispose() => _dir.Dispose();

        private static JsonElement Json(string text)
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }

        private static int Runs(JsonElement? current) => current.HasValue ? current.Value.GetProperty("runs").GetInt32() : 0;

        private static JsonElement Increment(JsonElement? current) => Json("{\"runs\":" + (Runs(current) + 1) + "}");

        private string[] Entries(string folder) => Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

        [Fact]
        public void Update_through_a_link_changes_the_target_keeps_the_link_and_locks_next_to_the_target()
        {
            if (!UnixMode.Applies) return; // links need privileges on Windows
            File.WriteAllText(_real, "{\"runs\":1}");
            File.CreateSymbolicLink(_link, "real.json");
            var store = new StateFileStore();

            var written = store.Update(_link, Increment, null, None);

            Assert.Equal(2, Runs(written));
            Assert.Equal("real.json", new FileInfo(_link).LinkTarget);
            Assert.Equal(2, Runs(store.Read(_real)));
            Assert.Equal(new[] { "link.json", "real.json", "real.json.lock" }, Entries(_dir.Root));
        }

        [Fact]
        public void Save_and_migration_through_a_relative_link_into_another_folder_write_beside_the_target()
        {
            if (!UnixMode.Applies) return;
            string data = Directory.CreateDirectory(Path.Combine(_dir.Root, "data")).FullName;
            string other = Directory.CreateDirectory(Path.Combine(_dir.Root, "other")).FullName;
            string target = Path.Combine(data, "app.json");
            string link = Path.Combine(other, "app.json");
            File.WriteAllText(target, "{\"count\":3}");
            File.CreateSymbolicLink(link, "../data/app.json");
            var store = new StateFileStore();

            var migration = new StateFileMigration(new[] { new StateFileStep(new SchemaVersion(1, 0, 0), d => new StateFileStepResult(d, new SchemaVersion(1, 1, 0))) });
            var outcome = store.Migrate(link, migration, None);
            store.Save(link, Json("{\"saved\":true}"), null, None);

            Assert.Equal(target, outcome.Path);
            Assert.Equal(target + ".v1.0.0.bak", outcome.BackupPath);
            Assert.Equal("{\"count\":3}", File.ReadAllText(outcome.BackupPath!));
            Assert.True(store.Read(target).GetProperty("saved").GetBoolean());
            Assert.Equal("../data/app.json", new FileInfo(link).LinkTarget);
            Assert.Equal(new[] { "app.json" }, Entries(other));
            Assert.Equal(new[] { "app.json", "app.json.lock", "app.json.v1.0.0.bak" }, Entries(data));
        }

        [Fact]
        public void A_link_and_its_target_share_one_lock()
        {
            if (!UnixMode.Applies) return;
            File.WriteAllText(_real, "{\"runs\":1}");
            File.CreateSymbolicLink(_link, _real);
            var store = new StateFileStore(new StateFileOptions { LockTimeout = TimeSpan.FromSeconds(30) });
            var quick = new StateFileStore(new StateFileOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });

            store.WithLock(_real, () =>
            {
                var other = Task.Run(() => quick.Update(_link, Increment, null, None));
                var timeout = Assert.Throws<AggregateException>(() => other.Wait(TimeSpan.FromSeconds(30)));
                var error = Assert.IsType<StateLockTimeoutException>(timeout.InnerException);
                Assert.Equal(_real + ".lock", error.Path);
                // The same thread through the other path is refused at once, not left to wait for itself.
                Assert.Throws<StateLockReentrancyException>(() => store.Update(_link, Increment, null, None));
                return 0;
            }, None);

            Assert.Equal(1, Runs(store.Read(_real)));
            Assert.Equal(2, Runs(quick.Update(_link, Increment, null, None)));
        }

        [Fact]
        public void A_linked_folder_leads_to_the_real_folders_file_and_lock()
        {
            if (!UnixMode.Applies) return;
            string data = Directory.CreateDirectory(Path.Combine(_dir.Root, "data")).FullName;
            string linkedFolder = Path.Combine(_dir.Root, "current");
            Directory.CreateSymbolicLink(linkedFolder, data);
            var quick = new StateFileStore(new StateFileOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });

            string through = Path.Combine(linkedFolder, "state.json");
            quick.Save(through, Json("{\"runs\":1}"), null, None);
            quick.WithLock(Path.Combine(data, "state.json"), () =>
                Assert.Throws<StateLockReentrancyException>(() => quick.Update(through, Increment, null, None)), None);

            Assert.Equal(Path.Combine(data, "state.json"), quick.Migrate(through,
                new StateFileMigration(new[] { new StateFileStep(new SchemaVersion(1, 0, 0), d => new StateFileStepResult(d, new SchemaVersion(1, 1, 0))) }), None).Path);
            Assert.Equal(new[] { "state.json", "state.json.lock", "state.json.v1.0.0.bak" }, Entries(data));
        }

        [Fact]
        public void A_link_to_nothing_is_StateFileNotFound_for_every_operation_and_creates_nothing()
        {
            if (!UnixMode.Applies) return;
            File.CreateSymbolicLink(_link, "missing.json");
            var store = new StateFileStore();
            var migration = new StateFileMigration(new[] { new StateFileStep(new SchemaVersion(1, 0, 0), d => new StateFileStepResult(d, new SchemaVersion(1, 1, 0))) });
            bool changed = false;

            var errors = new Action[]
            {
                () => store.Save(_link, Json("{}"), null, None),
                () => store.Update(_link, c => { changed = true; return Json("{}"); }, null, None),
                () => store.WithLock(_link, () => changed = true, None),
                () => store.Read(_link),
                () => store.Inspect(_link),
                () => store.Migrate(_link, migration, None),
                () => store.InspectMigration(_link, migration),
            }.Select(action => Assert.Throws<StateFileNotFoundException>(action)).ToList();

            foreach (var error in errors)
            {
                Assert.Equal("StateFileNotFound", error.ErrorId);
                Assert.Equal(_link, error.Path);
                Assert.Equal(Path.Combine(_dir.Root, "missing.json"), error.MissingTarget);
                Assert.Contains("symbolic link to '" + Path.Combine(_dir.Root, "missing.json") + "', which does not exist", error.Message);
            }
            Assert.False(changed);
            Assert.Equal(new[] { "link.json" }, Entries(_dir.Root));
            Assert.Equal("missing.json", new FileInfo(_link).LinkTarget);
        }

        [Fact]
        public void A_link_loop_is_an_error_that_changes_nothing()
        {
            if (!UnixMode.Applies) return;
            string other = Path.Combine(_dir.Root, "other.json");
            File.CreateSymbolicLink(_link, "other.json");
            File.CreateSymbolicLink(other, "link.json");

            var error = Assert.Throws<StateIOException>(() => new StateFileStore().Save(_link, Json("{}"), null, None));

            Assert.Equal("StateFileIOError", error.ErrorId);
            Assert.Equal(_link, error.Path);
            Assert.Equal(new[] { "link.json", "other.json" }, Entries(_dir.Root));
        }

        [Fact]
        public void A_plain_path_resolves_to_itself()
        {
            Assert.Equal(_real, PhysicalFileSystem.Instance.ResolveLinks(_real));
            File.WriteAllText(_real, "{}");
            Assert.Equal(_real, PhysicalFileSystem.Instance.ResolveLinks(_real));
        }
    }
}
