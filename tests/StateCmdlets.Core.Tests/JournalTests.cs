using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>The journal: one fsynced line per result, torn tails, damage, compaction, writers catching up.</summary>
    public sealed class JournalTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private string Snapshot => _dir.File("b1.json");

        private string Journal => _dir.File("b1.journal");

        // A FaultyFileSystem is its own cache key: each store below acts like a separate process.
        private FileBatchStore Store(long compactionMinimum = 64 * 1024, IFileSystem? fs = null) =>
            new FileBatchStore(_dir.State, new FileStoreOptions { FileSystem = fs ?? new FaultyFileSystem(), FoldMinimumBytes = compactionMinimum });

        private static string[] Names(int n) => Enumerable.Range(0, n).Select(i => $"f{i:00}").ToArray();

        private void Create(int features) =>
            Store().Create(new BatchDefinition("journal", Names(features)) { BatchId = "b1" }, false, CancellationToken.None);

        private static FeatureResult Done(string feature) => new FeatureResult(feature, FeatureStatus.Completed);

        /// <summary>The journal's lines, without the zeros allocated after them.</summary>
        private string[] JournalLines() => File.ReadAllText(Journal, Encoding.UTF8).Split('\n').Where(l => l.Trim('\0').Length > 0).ToArray();

        /// <summary>Offset just past the last record (where the zeros allocated ahead begin).</summary>
        private long ValidEnd() => Array.LastIndexOf(File.ReadAllBytes(Journal), (byte)'\n') + 1;

        [Fact]
        public void Crc32_is_the_zlib_one()
        {
            Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789"), 0, 9));
        }

        [Fact]
        public void A_result_appends_one_line_and_leaves_the_snapshot_alone()
        {
            Create(5);
            byte[] snapshot = File.ReadAllBytes(Snapshot);
            var store = Store();
            store.Record("b1", Done("f01"), CancellationToken.None);
            store.Record("b1", new FeatureResult("f02", FeatureStatus.Failed, "boom"), CancellationToken.None);

            Assert.Equal(snapshot, File.ReadAllBytes(Snapshot));
            var lines = JournalLines();
            Assert.Equal(3, lines.Length); // header + 2 records
            Assert.Contains("\"seq\":1", lines[1]);
            Assert.Contains("\"seq\":2", lines[2]);
            var batch = Store().Load("b1");
            Assert.Equal(FeatureStatus.Completed, batch.Find("f01")!.Status);
            Assert.Equal("boom", batch.Find("f02")!.LastError);
        }

        [Theory]
        [InlineData("{\"seq\":3,\"op\":\"res")] // cut mid-record
        [InlineData("{\"seq\":3,\"op\":\"result\",\"feature\":\"f03\",\"status\":\"Completed\",\"at\":\"2026-01-01T00:00:00Z\",\"crc\":\"00000000\"}\n")] // whole length, wrong bytes
        [InlineData("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\n\0\0\0\0\0\0\0")] // garbage with a newline in it
        public void A_torn_last_write_is_ignored_by_readers_and_cleared_by_the_next_writer(string tail)
        {
            Create(5);
            Store().Record("b1", Done("f01"), CancellationToken.None);
            Store().Record("b1", Done("f02"), CancellationToken.None);
            long end = ValidEnd();
            byte[] whole = File.ReadAllBytes(Journal).Take((int)end).ToArray();
            // The torn write sits where the next record goes, over the zeros allocated ahead.
            using (var stream = new FileStream(Journal, FileMode.Open, FileAccess.Write))
            {
                stream.Position = end;
                byte[] bytes = Encoding.UTF8.GetBytes(tail);
                stream.Write(bytes, 0, bytes.Length);
            }

            var batch = Store().Load("b1");
            Assert.Equal(2, batch.Completed);

            Store().Record("b1", Done("f03"), CancellationToken.None);
            byte[] after = File.ReadAllBytes(Journal);
            Assert.Equal(whole, after.Take(whole.Length).ToArray());
            Assert.Equal(4, JournalLines().Length);
            // Nothing of the torn write is left after the new record: only zeros.
            Assert.All(after.Skip((int)ValidEnd()), b => Assert.Equal(0, b));
            Assert.Equal(3, Store().Load("b1").Completed);
        }

        [Fact]
        public void Records_are_written_in_place_over_room_allocated_ahead_and_the_file_grows_by_chunks()
        {
            Create(2);
            long initial = new FileInfo(Journal).Length;
            Assert.True(initial >= 64 * 1024, $"the journal should be allocated ahead, not {initial} bytes");
            var store = Store(compactionMinimum: long.MaxValue);
            store.Record("b1", new FeatureResult("f00", FeatureStatus.Failed, "x"), CancellationToken.None);
            Assert.Equal(initial, new FileInfo(Journal).Length);

            // Large records use the room up; the file then grows by a chunk, not a record at a time.
            string big = new string('x', 20000);
            for (int i = 0; i < 5; i++) store.Record("b1", new FeatureResult("f00", FeatureStatus.Failed, big), CancellationToken.None);
            long grown = new FileInfo(Journal).Length;
            Assert.True(grown > initial);
            long room = grown - ValidEnd();
            Assert.True(room > 0 && room <= 64 * 1024, $"{room} bytes of room after the last record: it should be one chunk at most, and some");
            Assert.Equal(6, Store().Load("b1").Find("f00")!.Attempts);
        }

        [Fact]
        public void Damage_before_an_intact_record_is_reported_with_its_offset_and_nothing_is_rewritten()
        {
            Create(5);
            var store = Store();
            foreach (var f in new[] { "f01", "f02", "f03" }) store.Record("b1", Done(f), CancellationToken.None);
            byte[] bytes = File.ReadAllBytes(Journal);
            var lines = JournalLines();
            long offset = Encoding.UTF8.GetByteCount(lines[0] + "\n");
            bytes[offset + 20] ^= 0x01; // flip one bit inside record 1
            File.WriteAllBytes(Journal, bytes);
            byte[] snapshot = File.ReadAllBytes(Snapshot);

            var error = Assert.Throws<StateFileCorruptException>(() => Store().Load("b1"));
            Assert.Equal(Journal, error.Path);
            Assert.Equal(offset, error.Offset);
            Assert.Throws<StateFileCorruptException>(() => Store().Record("b1", Done("f04"), CancellationToken.None));
            Assert.Equal(bytes, File.ReadAllBytes(Journal));
            Assert.Equal(snapshot, File.ReadAllBytes(Snapshot));
        }

        [Fact]
        public void A_missing_record_in_the_sequence_is_corruption()
        {
            Create(5);
            var store = Store();
            foreach (var f in new[] { "f01", "f02", "f03" }) store.Record("b1", Done(f), CancellationToken.None);
            var lines = JournalLines();
            File.WriteAllText(Journal, lines[0] + "\n" + lines[1] + "\n" + lines[3] + "\n", new UTF8Encoding(false));
            var error = Assert.Throws<StateFileCorruptException>(() => Store().Load("b1"));
            Assert.Contains("record 3 follows record 1", error.Message);
        }

        [Fact]
        public void A_record_with_an_operation_from_a_newer_version_is_refused()
        {
            Create(2);
            string header = JournalLines()[0];
            string body = "{\"seq\":1,\"op\":\"teleport\"";
            string crc = Crc32.Compute(Encoding.UTF8.GetBytes(body), 0, Encoding.UTF8.GetByteCount(body)).ToString("x8");
            File.WriteAllText(Journal, header + "\n" + body + ",\"crc\":\"" + crc + "\"}\n", new UTF8Encoding(false));
            Assert.Throws<StateVersionTooNewException>(() => Store().Load("b1"));
        }

        [Fact]
        public void The_journal_is_folded_into_the_snapshot_once_it_outgrows_it()
        {
            Create(40);
            var store = Store(compactionMinimum: 0);
            long snapshotLength = new FileInfo(Snapshot).Length;
            int recorded = 0;
            while (new FileInfo(Snapshot).Length == snapshotLength && recorded < 39)
                store.Record("b1", Done($"f{recorded++:00}"), CancellationToken.None);

            Assert.True(recorded < 39, "the snapshot should have been rewritten before the batch finished");
            Assert.Contains($"\"journalSequence\": {recorded}", File.ReadAllText(Snapshot));
            Assert.Single(JournalLines()); // only the fresh header
            Assert.Equal(recorded, Store().Load("b1").Completed);
        }

        [Fact]
        public void Finishing_the_batch_leaves_everything_in_the_snapshot()
        {
            Create(3);
            var store = Store();
            foreach (var f in Names(3)) store.Record("b1", Done(f), CancellationToken.None);
            Assert.Single(JournalLines());
            string snapshot = File.ReadAllText(Snapshot);
            Assert.Equal(3, snapshot.Split("\"Completed\"").Length - 1);
        }

        [Fact]
        public void A_crash_between_the_new_snapshot_and_the_new_journal_loses_nothing()
        {
            Create(5);
            Store().Record("b1", Done("f01"), CancellationToken.None);
            var fs = new FaultyFileSystem();
            fs.BeforeReplace = source => fs.FailOn = source.Contains(".b1.journal.") ? "Replace" : null;
            Assert.Throws<StateIOException>(() => Store(fs: fs).Checkpoint("b1", CancellationToken.None));

            // New snapshot, old journal: the journal is stale and ignored, its record is in the snapshot.
            Assert.Contains("\"journalSequence\": 1", File.ReadAllText(Snapshot));
            Assert.Equal(1, Store().Load("b1").Completed);

            // The next writer starts a fresh journal and goes on.
            Store().Record("b1", Done("f02"), CancellationToken.None);
            var batch = Store().Load("b1");
            Assert.Equal(new[] { "f01", "f02" }, batch.Features.Where(f => f.Status == FeatureStatus.Completed).Select(f => f.Name));
            Assert.Contains("\"seq\":2", JournalLines()[1]);
        }

        [Fact]
        public void A_writer_holding_the_batch_in_memory_catches_up_with_other_writers()
        {
            Create(6);
            var a = Store();
            var b = Store();
            a.Record("b1", Done("f00"), CancellationToken.None);
            b.Record("b1", Done("f01"), CancellationToken.None);
            a.Record("b1", Done("f02"), CancellationToken.None); // must not overwrite or renumber b's record
            Assert.Equal(new[] { 1, 2, 3 }, JournalLines().Skip(1).Select(l => int.Parse(l.Split(',')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)));

            b.Checkpoint("b1", CancellationToken.None); // compaction under a's feet
            a.Record("b1", Done("f03"), CancellationToken.None);
            b.Record("b1", new FeatureResult("f05", FeatureStatus.Failed, "once"), CancellationToken.None);
            a.Record("b1", Done("f04"), CancellationToken.None);
            b.Record("b1", Done("f00"), CancellationToken.None); // a second success counts a second attempt

            var batch = Store().Load("b1");
            Assert.Equal(new[] { "f00", "f01", "f02", "f03", "f04" }, batch.Features.Where(f => f.Status == FeatureStatus.Completed).Select(f => f.Name));
            Assert.Equal(2, batch.Find("f00")!.Attempts);
            Assert.Equal(FeatureStatus.Failed, batch.Find("f05")!.Status);
        }

        [Fact]
        public void A_reader_racing_a_compaction_still_sees_every_result()
        {
            Create(5);
            Store().Record("b1", Done("f01"), CancellationToken.None);
            Store().Record("b1", Done("f02"), CancellationToken.None);
            var fs = new FaultyFileSystem();
            bool raced = false;
            fs.BeforeRead = path =>
            {
                // The reader has the old snapshot; now another process compacts before it reads the journal.
                if (raced || !path.EndsWith(".journal", StringComparison.Ordinal)) return;
                raced = true;
                Store().Checkpoint("b1", CancellationToken.None);
            };
            var batch = Store(fs: fs).Load("b1");
            Assert.True(raced);
            Assert.Equal(2, batch.Completed);
        }

        [Fact]
        public void The_1_1_0_fixture_loads_snapshot_plus_journal()
        {
            Directory.CreateDirectory(_dir.State);
            foreach (string ext in new[] { ".json", ".journal" })
                File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.1.0" + ext), _dir.File("v1.1.0" + ext));
            var batch = Store().Load("v1.1.0");
            Assert.Equal((5, 2, 1, 1, 1), (batch.Total, batch.Completed, batch.Failed, batch.Skipped, batch.Pending));
            var failed = batch.Find("日本 ünïcødé")!;
            Assert.Equal((2, "TimeoutError: again"), (failed.Attempts, failed.LastError));
            Assert.Equal("9F86D081", batch.Find("srv-001")!.Data!.Value.GetProperty("Sha256").GetString());
        }

        [Fact]
        public void A_1_0_0_file_is_backed_up_and_gets_a_journal_on_its_first_update()
        {
            Directory.CreateDirectory(_dir.State);
            string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.0.0.json");
            File.Copy(fixture, _dir.File("v1.0.0.json"));
            Store().Record("v1.0.0", Done("srv-004"), CancellationToken.None);

            Assert.Equal(File.ReadAllBytes(fixture), File.ReadAllBytes(_dir.File("v1.0.0.json.v1.0.0.bak")));
            Assert.Contains("\"schemaVersion\": \"1.3.0\"", File.ReadAllText(_dir.File("v1.0.0.json")));
            Assert.Equal(2, Store().Load("v1.0.0").Completed);
        }
    }
}
