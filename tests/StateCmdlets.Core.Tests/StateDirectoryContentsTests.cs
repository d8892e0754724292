using System;
using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>What else a state directory may be or hold: another program's JSON file, or a file where the folder should be.</summary>
    public sealed class StateDirectoryContentsTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore NewStore(string? directory = null) => new FileBatchStore(directory ?? _dir.State, new FileStoreOptions { LockTimeout = TimeSpan.FromSeconds(5) });

        private string[] Entries() => Directory.GetFileSystemEntries(_dir.State).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

        [Fact]
        public void A_json_file_with_no_batch_field_is_not_a_batch_not_damage()
        {
            NewStore().Create(new BatchDefinition("real", new[] { "a" }) { BatchId = "real" }, false, CancellationToken.None);
            File.WriteAllText(_dir.File("settings.json"), "{\"schemaVersion\": \"1.0.0\", \"name\": \"mine\", \"runs\": 3}");
            File.WriteAllText(_dir.File("settings.json.lock"), string.Empty);
            var before = Entries();

            var error = Assert.Throws<StateFileCorruptException>(() => NewStore().Load("settings"));
            Assert.Equal(CorruptionKind.NotABatch, error.Kind);
            Assert.Equal(StateErrorIds.NotABatchFile, error.ErrorId);
            Assert.DoesNotContain("damaged", error.Message);

            // Said once: no missing lock, journal or backup on top.
            var problem = Assert.Single(NewStore().Inspect("settings"));
            Assert.Equal(StateProblemKind.NotABatch, problem.Kind);
            Assert.Equal(_dir.File("settings.json"), problem.Path);

            // A repair changes nothing, and takes no lock (which would leave a settings.lock behind).
            var report = NewStore().Repair("settings", CancellationToken.None);
            Assert.False(report.Recovered);
            Assert.Equal(before, Entries());
        }

        [Fact]
        public void A_batch_missing_one_of_its_fields_is_still_damage()
        {
            NewStore().Create(new BatchDefinition("real", new[] { "a" }) { BatchId = "b" }, false, CancellationToken.None);
            string text = File.ReadAllText(_dir.File("b.json"));
            File.WriteAllText(_dir.File("b.json"), text.Replace("\"features\"", "\"featurez\""));
            var error = Assert.Throws<StateFileCorruptException>(() => NewStore().Load("b"));
            Assert.Equal(CorruptionKind.Invalid, error.Kind);
            Assert.Equal(StateErrorIds.StateFileCorrupt, error.ErrorId);
            Assert.Equal(StateProblemKind.SchemaViolation, NewStore().Inspect("b").First().Kind);
        }

        [Fact]
        public void A_state_directory_that_is_a_file_is_one_clear_error_for_every_operation()
        {
            string file = Path.Combine(_dir.Root, "not-a-folder");
            File.WriteAllText(file, "x");
            var store = NewStore(file);
            Action[] operations =
            {
                () => store.ListBatchIds(),
                () => store.ListBatchIdsToInspect(),
                () => store.Exists("b"),
                () => store.Load("b"),
                () => store.Address("b"),
                () => store.Create(new BatchDefinition("n", new[] { "a" }) { BatchId = "b" }, false, CancellationToken.None),
                () => store.Record("b", new FeatureResult("a", FeatureStatus.Completed), CancellationToken.None),
                () => store.Inspect("b"),
                () => store.Remove("b", CancellationToken.None),
            };
            foreach (var operation in operations)
            {
                var error = Assert.Throws<StateDirectoryNotFoundException>(operation);
                Assert.Equal(StateErrorIds.StateDirectoryNotFound, error.ErrorId);
                Assert.Equal(file, error.Path);
                Assert.Contains("is a file", error.Message);
            }
            Assert.Equal("x", File.ReadAllText(file));
        }
    }
}
