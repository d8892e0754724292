using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.StateFiles;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>
    /// A replaced state file keeps its permission bits, and a read-only one is refused. The tests may
    /// run as root, whom the kernel lets write anything: the refusal must come from the store.
    /// </summary>
    public sealed class StateFilePermissionTests : IDisposable
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private static readonly StateFileMigration ToOneOne = new StateFileMigration(new[]
        {
            new StateFileStep(new SchemaVersion(1, 0, 0), d => new StateFileStepResult(d, new SchemaVersion(1, 1, 0))),
        });

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly string _path;

        public StateFilePermissionTests() => _path = Path.Combine(_dir.Root, "state.json");

        public void Dispose()
        {
            // A read-only file must not keep the folder from being deleted on any platform.
            foreach (string file in Directory.GetFiles(_dir.Root)) File.SetAttributes(file, FileAttributes.Normal);
            _dir.Dispose();
        }

        private static JsonElement Json(string text)
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }

        private void Seed(string content, string mode)
        {
            File.WriteAllText(_path, content);
            UnixMode.Set(_path, mode);
        }

        [Theory]
        [InlineData("644")]
        [InlineData("664")]
        [InlineData("640")]
        [InlineData("777")]
        public void Save_update_and_migration_keep_the_files_permission_bits(string mode)
        {
            if (!UnixMode.Applies) return;
            Seed("{\"runs\":1}", mode);
            var store = new StateFileStore();

            store.Save(_path, Json("{\"runs\":2}"), null, None);
            Assert.Equal(mode, UnixMode.Of(_path));
            store.Update(_path, c => Json("{\"runs\":3}"), null, None);
            Assert.Equal(mode, UnixMode.Of(_path));
            var outcome = store.Migrate(_path, ToOneOne, None);
            Assert.Equal(MigrationAction.Migrated, outcome.Action);
            Assert.Equal(mode, UnixMode.Of(_path));
            Assert.Equal(3, store.Read(_path).GetProperty("runs").GetInt32());
        }

        [Fact]
        public void The_mode_is_set_on_the_temp_file_before_its_content_is_written_and_fsynced()
        {
            if (!UnixMode.Applies) return;
            Seed("{}", "644");
            string? tempMode = null;
            var fs = new FaultyFileSystem { BeforeReplace = source => tempMode = UnixMode.Of(source) };

            new StateFileStore(new StateFileOptions { FileSystem = fs }).Save(_path, Json("{\"a\":1}"), null, None);

            Assert.Equal("644", tempMode);
            Assert.Equal(new[] { "CreateNew", "SetUnixMode", "Write", "Flush", "Close", "Replace", "FlushDirectory" }, fs.Operations.Select(o => o.Split(' ')[0]));
        }

        [Theory]
        [InlineData("444")]
        [InlineData("400")]
        [InlineData("555")]
        public void A_read_only_file_is_refused_by_save_update_and_migration_and_stays_as_it_was(string mode)
        {
            if (!UnixMode.Applies) return;
            Seed("{\"runs\":1}", mode);
            byte[] before = File.ReadAllBytes(_path);
            var store = new StateFileStore();
            bool called = false;

            var errors = new Action[]
            {
                () => store.Save(_path, Json("{\"runs\":2}"), null, None),
                () => store.Update(_path, c => { called = true; return Json("{\"runs\":2}"); }, null, None),
                () => store.Migrate(_path, ToOneOne, None),
            }.Select(action => Assert.Throws<StateIOException>(action)).ToList();

            foreach (var error in errors)
            {
                Assert.Equal("StateFileAccessDenied", error.ErrorId);
                Assert.Equal(_path, error.Path);
                Assert.Contains("'" + _path + "'", error.Message);
                Assert.Contains("the file is read-only", error.Message);
            }
            Assert.False(called);
            Assert.Equal(before, File.ReadAllBytes(_path));
            Assert.Equal(mode, UnixMode.Of(_path));
            Assert.Equal(new[] { "state.json", "state.json.lock" }, Directory.GetFiles(_dir.Root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            // Reading needs no write permission.
            Assert.Equal(1, store.Read(_path).GetProperty("runs").GetInt32());
        }

        [Fact]
        public void A_read_only_attribute_is_refused_on_windows()
        {
            if (UnixMode.Applies) return;
            File.WriteAllText(_path, "{\"runs\":1}");
            File.SetAttributes(_path, FileAttributes.ReadOnly);

            var error = Assert.Throws<StateIOException>(() => new StateFileStore().Update(_path, c => Json("{}"), null, None));

            Assert.Equal("StateFileAccessDenied", error.ErrorId);
            Assert.Equal("{\"runs\":1}", File.ReadAllText(_path));
        }

        [Fact]
        public void A_read_only_target_is_refused_through_a_link_too()
        {
            if (!UnixMode.Applies) return;
            Seed("{\"runs\":1}", "444");
            string link = Path.Combine(_dir.Root, "link.json");
            File.CreateSymbolicLink(link, _path);

            var error = Assert.Throws<StateIOException>(() => new StateFileStore().Save(link, Json("{}"), null, None));

            Assert.Equal("StateFileAccessDenied", error.ErrorId);
            Assert.Equal(_path, error.Path);
            Assert.Equal("{\"runs\":1}", File.ReadAllText(_path));
            Assert.Equal(_path, new FileInfo(link).LinkTarget);
        }
    }
}
