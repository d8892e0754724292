using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>
    /// A writer that holds a batch in memory notices a snapshot changed behind its back (edited by
    /// hand, restored, damaged) and reads it again; it never writes its own copy over it.
    /// </summary>
    public sealed class SnapshotChangeTests : IDisposable
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore Store() => new FileBatchStore(_dir.State);

        private string Snapshot => _dir.File("b1.json");

        [Fact]
        public void A_hand_edit_of_the_snapshot_survives_the_next_write_and_fold()
        {
            Store().Create(new BatchDefinition("before the edit", new[] { "f0", "f1", "f2" }) { BatchId = "b1" }, false, None);
            var writer = Store();
            writer.Record("b1", new FeatureResult("f0", FeatureStatus.Completed), None); // the batch is now cached in this process

            Thread.Sleep(20); // a later write time, as any edit by hand has
            File.WriteAllText(Snapshot, File.ReadAllText(Snapshot).Replace("before the edit", "edited by hand"), new UTF8Encoding(false));

            writer.Record("b1", new FeatureResult("f1", FeatureStatus.Completed), None);
            writer.Checkpoint("b1", None); // a fold writes the whole snapshot

            var batch = Store().Load("b1");
            Assert.Equal("edited by hand", batch.Name);
            Assert.Equal(new[] { "f0", "f1" }, batch.Features.Where(f => f.Status == FeatureStatus.Completed).Select(f => f.Name));
            Assert.Contains("edited by hand", File.ReadAllText(Snapshot));
        }

        [Fact]
        public void A_snapshot_damaged_behind_a_writer_is_reported_and_left_as_it_is()
        {
            Store().Create(new BatchDefinition("b", new[] { "f0", "f1" }) { BatchId = "b1" }, false, None);
            var writer = Store();
            writer.Record("b1", new FeatureResult("f0", FeatureStatus.Completed), None);

            // Damage past the first bytes, where the writer's quick check looks.
            byte[] whole = File.ReadAllBytes(Snapshot);
            byte[] damaged = whole.Take(whole.Length - 40).Concat(Encoding.ASCII.GetBytes("#garbage#")).ToArray();
            Thread.Sleep(20);
            File.WriteAllBytes(Snapshot, damaged);

            var error = Assert.Throws<StateFileCorruptException>(() => writer.Record("b1", new FeatureResult("f1", FeatureStatus.Completed), None));
            Assert.Equal(Snapshot, error.Path);
            Assert.Throws<StateFileCorruptException>(() => writer.Checkpoint("b1", None));
            Assert.Equal(damaged, File.ReadAllBytes(Snapshot));
        }

        [Fact]
        public void A_snapshot_restored_from_its_backup_is_read_again()
        {
            Store().Create(new BatchDefinition("b", new[] { "f0", "f1", "f2" }) { BatchId = "b1" }, false, None);
            var writer = Store();
            writer.Checkpoint("b1", None);
            byte[] older = File.ReadAllBytes(Snapshot);
            writer.Record("b1", new FeatureResult("f0", FeatureStatus.Completed), None);
            writer.Checkpoint("b1", None); // f0 is in the snapshot now, with a new journal

            // Restored as it was before f0 (an older generation): the writer reads it again.
            Thread.Sleep(20);
            File.WriteAllBytes(Snapshot, older);
            writer.Record("b1", new FeatureResult("f1", FeatureStatus.Completed), None);
            var batch = Store().Load("b1");
            Assert.Equal(FeatureStatus.Completed, batch.Find("f1")!.Status);
            Assert.Equal(FeatureStatus.Pending, batch.Find("f0")!.Status); // the restore is what counts, not the writer's memory
        }
    }
}
