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
    /// <summary>Test-BatchState and Repair-BatchState's core: find damage without changing anything, then mend it without deleting anything.</summary>
    public sealed class RepairTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private FileBatchStore Store() => new FileBatchStore(_dir.State, new FileStoreOptions { FileSystem = new FaultyFileSystem() });

        private void Create(params string[] features) =>
            Store().Create(new BatchDefinition("repair", features) { BatchId = "b1" }, false, CancellationToken.None);

        private void Done(string f) => Store().Record("b1", new FeatureResult(f, FeatureStatus.Completed), CancellationToken.None);

        private string[] Snapshot() => Directory.GetFiles(_dir.State).OrderBy(f => f, StringComparer.Ordinal).Select(f => Path.GetFileName(f) + ":" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))).ToArray();

        [Fact]
        public void A_sound_batch_has_no_problems_and_repair_changes_nothing_it_needs()
        {
            Create("a", "b");
            Done("a");
            Assert.Empty(Store().Inspect("b1"));
            var report = Store().Repair("b1", CancellationToken.None);
            Assert.True(report.Recovered);
            Assert.Empty(report.Lost);
            Assert.Equal(1, Store().Load("b1").Completed);
        }

        [Fact]
        public void Inspection_finds_every_kind_of_problem_and_changes_nothing()
        {
            Create("a", "b");
            Done("a");
            File.WriteAllText(_dir.File(".b1.json.abc123.tmp"), "half a snapshot");
            File.Delete(_dir.File("b1.lock"));
            byte[] bytes = File.ReadAllBytes(_dir.File("b1.json"));
            File.WriteAllBytes(_dir.File("b1.json"), bytes.Take(bytes.Length / 2).ToArray());
            var before = Snapshot();

            var problems = Store().Inspect("b1");

            Assert.Equal(new[] { StateProblemKind.ParseError, StateProblemKind.OrphanTempFile, StateProblemKind.MissingLockFile }, problems.Select(p => p.Kind));
            Assert.NotNull(problems[0].Offset);
            Assert.Equal(_dir.File("b1.json"), problems[0].Path);
            Assert.Equal(before, Snapshot());
        }

        [Fact]
        public void A_damaged_snapshot_is_moved_aside_and_rebuilt_from_the_newest_backup_plus_the_journal()
        {
            // A 1.0.0 file: its first write keeps a backup, then results go to the journal.
            Directory.CreateDirectory(_dir.State);
            string fixture = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.0.0.json")).Replace("\"v1.0.0\"", "\"b1\"");
            File.WriteAllText(_dir.File("b1.json"), fixture);
            Store().Record("b1", new FeatureResult("srv-004", FeatureStatus.Completed), CancellationToken.None);
            Assert.True(File.Exists(_dir.File("b1.json.v1.0.0.bak")));
            byte[] damaged = Encoding.UTF8.GetBytes("{ this is not a batch");
            File.WriteAllBytes(_dir.File("b1.json"), damaged);
            Assert.Throws<StateFileCorruptException>(() => Store().Load("b1"));

            var report = Store().Repair("b1", CancellationToken.None);

            Assert.True(report.Recovered);
            var batch = Store().Load("b1");
            Assert.Equal(FeatureStatus.Completed, batch.Find("srv-004")!.Status); // from the journal
            Assert.Equal(FeatureStatus.Completed, batch.Find("srv-001")!.Status); // from the backup
            string aside = Assert.Single(Directory.GetFiles(_dir.State, "b1.json.corrupt-*"));
            Assert.Equal(damaged, File.ReadAllBytes(aside));
            Assert.Empty(Store().Inspect("b1"));
        }

        [Fact]
        public void A_damaged_snapshot_of_a_current_batch_is_rebuilt_whole_from_the_copy_of_the_last_fold_plus_the_journal()
        {
            var store = new FileBatchStore(_dir.State, new FileStoreOptions { FileSystem = new FaultyFileSystem(), FoldMinimumBytes = 0 });
            var names = Enumerable.Range(0, 40).Select(i => "f" + i).ToArray();
            store.Create(new BatchDefinition("repair", names) { BatchId = "b1" }, false, CancellationToken.None);
            // Enough results for several folds (the journal outgrows the snapshot), and some after the last one.
            for (int i = 0; i < 30; i++)
                store.Record("b1", new FeatureResult(names[i], i % 3 == 0 ? FeatureStatus.Failed : FeatureStatus.Completed, i % 3 == 0 ? "no" : null), CancellationToken.None);
            var before = Store().Load("b1");
            Assert.True(File.Exists(_dir.File("b1.json.bak")));
            Assert.NotEqual(new byte[0], File.ReadAllBytes(_dir.File("b1.journal")).Take(1));
            File.WriteAllText(_dir.File("b1.json"), "{ \"schemaVersion\": \"1.2.0\", \"batchId\": \"b1\", trunc");

            var report = Store().Repair("b1", CancellationToken.None);

            Assert.True(report.Recovered);
            Assert.Empty(report.Lost);
            var after = Store().Load("b1");
            Assert.Equal(before.Features.Select(f => (f.Name, f.Status, f.Attempts, f.LastError)), after.Features.Select(f => (f.Name, f.Status, f.Attempts, f.LastError)));
            Assert.Single(Directory.GetFiles(_dir.State, "b1.json.corrupt-*"));
            Assert.Empty(Store().Inspect("b1"));
        }

        [Fact]
        public void Every_fold_keeps_a_copy_of_the_new_snapshot_as_the_backup()
        {
            Create("a", "b");
            Assert.Equal(File.ReadAllBytes(_dir.File("b1.json")), File.ReadAllBytes(_dir.File("b1.json.bak")));
            Done("a");
            Store().Checkpoint("b1", CancellationToken.None);
            Assert.Equal(File.ReadAllBytes(_dir.File("b1.json")), File.ReadAllBytes(_dir.File("b1.json.bak")));
            Assert.Contains(_dir.File("b1.json.bak"), Store().Remove("b1", CancellationToken.None));
            Assert.Empty(Directory.GetFiles(_dir.State));
        }

        [Fact]
        public void A_damaged_backup_is_reported_kept_aside_and_written_afresh()
        {
            Create("a", "b");
            Done("a");
            byte[] damaged = Encoding.UTF8.GetBytes("{ \"schemaVersion\": \"1.2.0\", \"batchId\": ");
            File.WriteAllBytes(_dir.File("b1.json.bak"), damaged);
            var before = Snapshot();

            var problem = Assert.Single(Store().Inspect("b1"));
            Assert.Equal(StateProblemKind.DamagedBackup, problem.Kind);
            Assert.Equal(_dir.File("b1.json.bak"), problem.Path);
            Assert.Equal(before, Snapshot());

            var report = Store().Repair("b1", CancellationToken.None);

            Assert.True(report.Recovered);
            Assert.Empty(report.Lost);
            Assert.Equal(damaged, File.ReadAllBytes(Assert.Single(Directory.GetFiles(_dir.State, "b1.json.bak.corrupt-*"))));
            Assert.Equal(File.ReadAllBytes(_dir.File("b1.json")), File.ReadAllBytes(_dir.File("b1.json.bak")));
            Assert.Equal(1, Store().Load("b1").Completed);
            Assert.Empty(Store().Inspect("b1"));
            Assert.Contains(Store().Remove("b1", CancellationToken.None), p => p.Contains("b1.json.bak.corrupt-"));
        }

        [Fact]
        public void Another_batchs_journal_is_never_applied_and_the_loss_is_reported()
        {
            Create("a", "b", "c");
            Done("c");
            Store().Create(new BatchDefinition("other", new[] { "a", "b", "c" }) { BatchId = "other" }, false, CancellationToken.None);
            Store().Record("other", new FeatureResult("a", FeatureStatus.Completed), CancellationToken.None);
            Store().Record("other", new FeatureResult("b", FeatureStatus.Failed, "foreign failure"), CancellationToken.None);
            File.Copy(_dir.File("other.journal"), _dir.File("b1.journal"), overwrite: true);
            Assert.Equal(StateProblemKind.JournalDamage, Assert.Single(Store().Inspect("b1")).Kind);

            var report = Store().Repair("b1", CancellationToken.None);

            var batch = Store().Load("b1");
            Assert.Equal(new[] { FeatureStatus.Pending, FeatureStatus.Pending, FeatureStatus.Pending }, batch.Features.Select(f => f.Status));
            Assert.Contains(report.Lost, l => l.Contains("belongs to batch 'other'") && l.Contains("none of its 2 record(s) were applied"));
            Assert.Single(Directory.GetFiles(_dir.State, "b1.journal.corrupt-*"));
        }

        [Fact]
        public void An_empty_journal_is_damage_not_silence_and_repair_says_what_is_lost()
        {
            Create("a", "b");
            Done("a");
            File.WriteAllBytes(_dir.File("b1.journal"), Array.Empty<byte>());

            var problem = Assert.Single(Store().Inspect("b1"));
            Assert.Equal(StateProblemKind.JournalDamage, problem.Kind);
            Assert.Contains("empty", problem.Message);
            Assert.Throws<StateFileCorruptException>(() => Store().Load("b1"));
            Assert.Throws<StateFileCorruptException>(() => Done("b"));

            var report = Store().Repair("b1", CancellationToken.None);

            Assert.True(report.Recovered);
            Assert.Contains(report.Lost, l => l.Contains("no readable header and no readable record"));
            Done("b");
            Assert.Equal(1, Store().Load("b1").Completed);
        }

        [Fact]
        public void Without_a_good_backup_nothing_is_rebuilt_and_the_damaged_file_stays()
        {
            Create("a");
            File.WriteAllText(_dir.File("b1.json.bak"), "{ also damaged");
            File.WriteAllText(_dir.File("b1.json"), "{");
            var report = Store().Repair("b1", CancellationToken.None);
            Assert.False(report.Recovered);
            Assert.Contains(report.Lost, l => l.Contains("No good backup"));
            Assert.Contains(report.Lost, l => l.Contains("b1.json.bak' could not be read"));
            Assert.Equal("{", File.ReadAllText(_dir.File("b1.json")));
        }

        [Fact]
        public void A_damaged_journal_keeps_every_readable_record_and_reports_the_lost_one()
        {
            Create("a", "b", "c", "d");
            Done("a");
            Done("b");
            Done("c");
            byte[] journal = File.ReadAllBytes(_dir.File("b1.journal"));
            int second = IndexOfNth(journal, (byte)'\n', 2) + 1; // start of record 2
            journal[second + 10] ^= 0x20;
            File.WriteAllBytes(_dir.File("b1.journal"), journal);
            Assert.Equal(StateProblemKind.JournalDamage, Assert.Single(Store().Inspect("b1")).Kind);

            var report = Store().Repair("b1", CancellationToken.None);

            Assert.True(report.Recovered);
            var batch = Store().Load("b1");
            Assert.Equal(new[] { "a", "c" }, batch.Features.Where(f => f.Status == FeatureStatus.Completed).Select(f => f.Name));
            Assert.Contains(report.Lost, l => l.Contains($"byte {second}"));
            Assert.Single(Directory.GetFiles(_dir.State, "b1.journal.corrupt-*"));
            Done("d"); // and it works on
            Assert.Equal(3, Store().Load("b1").Completed);
        }

        [Fact]
        public void Orphan_temp_files_are_removed_and_a_torn_write_is_folded_away()
        {
            Create("a", "b");
            Done("a");
            File.WriteAllText(_dir.File(".b1.json.0123456789ab.tmp"), "x");
            File.WriteAllText(_dir.File(".b1.journal.0123456789ab.tmp"), "x");
            File.WriteAllText(_dir.File(".b10.json.0123456789ab.tmp"), "another batch's"); // not ours
            using (var stream = new FileStream(_dir.File("b1.journal"), FileMode.Open, FileAccess.Write))
            {
                stream.Position = Array.LastIndexOf(File.ReadAllBytes(_dir.File("b1.journal")), (byte)'\n') + 1;
                stream.Write(Encoding.UTF8.GetBytes("{\"seq\":2,\"op\":\"res"));
            }
            var kinds = Store().Inspect("b1").Select(p => p.Kind).ToList();
            Assert.Contains(StateProblemKind.TornJournalWrite, kinds);
            Assert.Equal(2, kinds.Count(k => k == StateProblemKind.OrphanTempFile));

            var report = Store().Repair("b1", CancellationToken.None);
            Assert.True(report.Recovered);
            Assert.Empty(Store().Inspect("b1"));
            Assert.True(File.Exists(_dir.File(".b10.json.0123456789ab.tmp")));
            Assert.Equal(1, Store().Load("b1").Completed);
        }

        private static int IndexOfNth(byte[] bytes, byte value, int n)
        {
            int at = -1;
            for (int i = 0; i < n; i++) at = Array.IndexOf(bytes, value, at + 1);
            return at;
        }
    }
}
