using System;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>The batch a run finds by its name (Invoke-Batch): its derived id, finding it, making it, adding to it.</summary>
    public sealed class NamedBatchTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore NewStore() => new FileBatchStore(_dir.State, new FileStoreOptions { LockTimeout = TimeSpan.FromSeconds(30) });

        private static BatchDefinition Items(params string[] names) => new BatchDefinition("ignored: the name is the run's", names) { Settings = new BatchSettings { MaxAttempts = 4 } };

        [Theory]
        [InlineData("patch-2026-11")]
        [InlineData("A")]
        [InlineData("x.y_z-1")]
        public void A_name_that_is_a_valid_id_is_its_own_id(string name) => Assert.Equal(name, BatchId.FromName(name));

        [Fact]
        public void Any_other_name_becomes_a_slug_and_8_hex_digits_of_its_hash()
        {
            string id = BatchId.FromName("Patch November 2026");
            Assert.Matches("^Patch-November-2026-[0-9a-f]{8}$", id);
            Assert.Equal(id, BatchId.FromName("Patch November 2026"));
            Assert.True(BatchId.IsValid(id));
            // Names that slug alike still differ.
            Assert.NotEqual(BatchId.FromName("a b"), BatchId.FromName("a/b"));
            Assert.NotEqual(BatchId.FromName("a b"), BatchId.FromName("a  b"));
        }

        [Theory]
        [InlineData("日本の出荷")]
        [InlineData("...")]
        [InlineData("-leading dash")]
        [InlineData(" ")]
        public void Names_of_no_or_odd_id_characters_still_make_a_valid_id(string name)
        {
            string id = BatchId.FromName(name);
            Assert.True(BatchId.IsValid(id), id);
            Assert.Matches("-[0-9a-f]{8}$", id);
        }

        [Fact]
        public void A_long_name_is_cut_to_a_valid_id()
        {
            string name = new string('a', 200) + " b";
            string id = BatchId.FromName(name);
            Assert.True(BatchId.IsValid(id));
            Assert.Equal(128, id.Length);
            Assert.Equal(new string('a', 128), BatchId.FromName(new string('a', 128)));
        }

        [Fact]
        public void The_first_run_makes_the_batch_under_the_derived_id_with_the_run_s_name_and_settings()
        {
            var store = NewStore();
            var named = NamedBatch.Find(store, "Nightly run", null);
            Assert.Null(named.Existing);
            Assert.Equal(BatchId.FromName("Nightly run"), named.BatchId);

            Assert.Equal(2, named.Open(store, Items("a", "b"), CancellationToken.None));
            var batch = store.Load(named.BatchId);
            Assert.Equal("Nightly run", batch.Name);
            Assert.Equal(4, batch.MaxAttempts);
            Assert.Equal(new[] { "a", "b" }, batch.Features.Select(f => f.Name));
        }

        [Fact]
        public void Later_runs_find_it_and_add_only_what_is_new_at_its_end()
        {
            var store = NewStore();
            NamedBatch.Find(store, "run", null).Open(store, Items("a", "b"), CancellationToken.None);
            store.Record("run", new FeatureResult("a", FeatureStatus.Completed), CancellationToken.None);

            var again = NamedBatch.Find(NewStore(), "run", null);
            Assert.NotNull(again.Existing);
            Assert.Equal(1, again.Open(store, Items("b", "c", "a"), CancellationToken.None));
            var batch = store.Load("run");
            Assert.Equal(new[] { "a", "b", "c" }, batch.Features.Select(f => f.Name));
            Assert.Equal(FeatureStatus.Completed, batch.Find("a")!.Status);

            // Nothing new: nothing written.
            var before = System.IO.File.GetLastWriteTimeUtc(_dir.File("run.json"));
            Assert.Equal(0, NamedBatch.Find(store, "run", null).Open(store, Items("a", "c"), CancellationToken.None));
            Assert.Equal(before, System.IO.File.GetLastWriteTimeUtc(_dir.File("run.json")));
        }

        [Fact]
        public void Another_run_making_it_at_the_same_moment_is_no_error_its_batch_is_the_one()
        {
            var store = NewStore();
            var mine = NamedBatch.Find(store, "race", null);
            Assert.Null(mine.Existing);
            // The other run got there first.
            NamedBatch.Find(NewStore(), "race", null).Open(NewStore(), Items("a", "b"), CancellationToken.None);

            Assert.Equal(1, mine.Open(store, Items("b", "c"), CancellationToken.None));
            Assert.Equal(new[] { "a", "b", "c" }, store.Load("race").Features.Select(f => f.Name));
        }

        [Fact]
        public void A_batch_New_BatchState_made_under_the_name_is_found_when_no_batch_has_the_derived_id()
        {
            var store = NewStore();
            store.Create(new BatchDefinition("Nightly export", new[] { "x" }) { BatchId = "nightly" }, false, CancellationToken.None);
            store.Create(new BatchDefinition("other", new[] { "x" }) { BatchId = "other" }, false, CancellationToken.None);
            var named = NamedBatch.Find(store, "Nightly export", null);
            Assert.Equal("nightly", named.BatchId);
            Assert.NotNull(named.Existing);
            // Names are matched exactly.
            Assert.Null(NamedBatch.Find(store, "nightly EXPORT", null).Existing);
        }

        [Fact]
        public void An_id_held_by_a_batch_of_another_name_is_BatchNameConflict()
        {
            var store = NewStore();
            store.Create(new BatchDefinition("something else", new[] { "x" }) { BatchId = "deploy" }, false, CancellationToken.None);
            var e = Assert.Throws<BatchNameConflictException>(() => NamedBatch.Find(store, "deploy", null));
            Assert.Equal("something else", e.ExistingName);
            Assert.Equal(StateErrorIds.BatchNameConflict, e.ErrorId);
            // With its id named explicitly, and another name, too.
            Assert.Throws<BatchNameConflictException>(() => NamedBatch.Find(store, "mine", "deploy"));
            // The id alone is found, with its own name.
            Assert.Equal("something else", NamedBatch.Find(store, null, "deploy").Name);
        }

        [Fact]
        public void A_name_several_batches_have_is_AmbiguousBatchName_unless_the_id_says_which()
        {
            var store = NewStore();
            store.Create(new BatchDefinition("twin", new[] { "x" }) { BatchId = "twin-1" }, false, CancellationToken.None);
            store.Create(new BatchDefinition("twin", new[] { "x" }) { BatchId = "twin-2" }, false, CancellationToken.None);
            var e = Assert.Throws<AmbiguousBatchNameException>(() => NamedBatch.Find(store, "twin", null));
            Assert.Equal(new[] { "twin-1", "twin-2" }, e.BatchIds);
            Assert.Equal("twin-2", NamedBatch.Find(store, "twin", "twin-2").BatchId);
        }

        [Fact]
        public void By_id_alone_a_missing_batch_is_made_with_its_id_as_its_name()
        {
            var store = NewStore();
            var named = NamedBatch.Find(store, null, "by-id");
            named.Open(store, Items("a"), CancellationToken.None);
            Assert.Equal("by-id", store.Load("by-id").Name);
            Assert.Throws<InvalidBatchIdException>(() => NamedBatch.Find(store, null, "../evil"));
        }

        [Fact]
        public void The_preview_counts_new_done_failed_and_left_items()
        {
            var store = NewStore();
            var worker = new WorkerIdentity("here", 1, "s");
            Assert.Equal("2 new, 0 done, 0 failed, 2 left of 2", BatchRunPreview.Of(null, new[] { "a", "b" }, worker, DateTime.UtcNow).ToString());

            store.Create(new BatchDefinition("p", new[] { "a", "b", "c", "d" }) { BatchId = "p", Settings = new BatchSettings { MaxAttempts = 2 } }, false, CancellationToken.None);
            store.Record("p", new FeatureResult("a", FeatureStatus.Completed), CancellationToken.None);
            store.Record("p", new FeatureResult("b", FeatureStatus.Failed, "x") { Permanent = true }, CancellationToken.None);
            store.Record("p", new FeatureResult("c", FeatureStatus.Failed, "x"), CancellationToken.None);
            var preview = BatchRunPreview.Of(store.Load("p"), new[] { "a", "e" }, worker, DateTime.UtcNow);
            Assert.Equal((1, 1, 1, 3, 1, 5), (preview.New, preview.Done, preview.Failed, preview.Left, preview.Retries, preview.Total));
            Assert.Equal("1 new, 1 done, 1 failed, 3 left (1 to retry) of 5", preview.ToString());
        }
    }
}
