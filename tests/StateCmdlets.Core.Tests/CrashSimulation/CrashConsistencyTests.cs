using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using Xunit;
using Xunit.Abstractions;

namespace StateCmdlets.Core.Tests.CrashSimulation
{
    /// <summary>
    /// The on-disk protocol against a crash at every single step: create, update, compaction,
    /// migration, replacement, removal, and the repair of a torn journal tail.
    /// </summary>
    public sealed class CrashConsistencyTests
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private readonly ITestOutputHelper _output;

        public CrashConsistencyTests(ITestOutputHelper output) => _output = output;

        private static FeatureResult Result(string feature, FeatureStatus status, string? error = null, string? data = null) =>
            new FeatureResult(feature, status, error, data == null ? null : JsonDocument.Parse(data).RootElement.Clone());

        private static BatchDefinition Definition(int features) =>
            new BatchDefinition("crash test", Enumerable.Range(0, features).Select(i => $"f{i}").ToArray()) { BatchId = CrashChecker.BatchId, MaxAttempts = 3 };

        /// <summary>Every scenario, by name, run against a checker the caller configures.</summary>
        internal static IEnumerable<(string Name, Func<string?, CrashChecker> Run)> Scenarios()
        {
            yield return ("create", dropped => Run(dropped, null, 64 * 1024, c =>
                c.Step("create", s => s.Create(Definition(4), false, None))));

            yield return ("update", dropped => Run(dropped, null, 64 * 1024, c =>
            {
                c.Step("create", s => s.Create(Definition(4), false, None));
                c.Step("f0 completed with data", s => s.Record(CrashChecker.BatchId, Result("f0", FeatureStatus.Completed, data: "{\"hash\":\"ab\",\"n\":[1,2]}"), None));
                c.Step("f1 failed", s => s.Record(CrashChecker.BatchId, Result("f1", FeatureStatus.Failed, "timeout"), None));
                c.Step("f1 failed again", s => s.Record(CrashChecker.BatchId, Result("f1", FeatureStatus.Failed, "timeout 2"), None));
                c.Step("f2 skipped", s => s.Record(CrashChecker.BatchId, Result("f2", FeatureStatus.Skipped, "not needed"), None));
                c.Step("f3 completed", s => s.Record(CrashChecker.BatchId, Result("f3", FeatureStatus.Completed), None));
                c.Step("f1 completed: batch done, compacted", s => s.Record(CrashChecker.BatchId, Result("f1", FeatureStatus.Completed), None));
            }));

            yield return ("compaction", dropped => Run(dropped, null, 0, c =>
            {
                c.Step("create", s => s.Create(Definition(8), false, None));
                for (int i = 0; i < 6; i++)
                {
                    string feature = $"f{i}";
                    c.Step(feature + " (compacts when the journal outgrows the snapshot)", s => s.Record(CrashChecker.BatchId, Result(feature, FeatureStatus.Completed), None));
                }
                c.Step("checkpoint", s => s.Checkpoint(CrashChecker.BatchId, None));
                c.Step("f6 after checkpoint", s => s.Record(CrashChecker.BatchId, Result("f6", FeatureStatus.Failed, "x"), None));
            }));

            yield return ("migration", dropped =>
            {
                var start = Version1File();
                var checker = Run(dropped, start, 64 * 1024, c =>
                {
                    c.Invariant = image => BackupRule(image, start);
                    c.Step("migrate 1.0.0 -> current", s => s.Migrate(CrashChecker.BatchId, None));
                    c.Step("record after migration", s => s.Record(CrashChecker.BatchId, Result("srv-004", FeatureStatus.Completed), None));
                });
                return checker;
            });

            yield return ("first write to a 1.0.0 file", dropped =>
            {
                var start = Version1File();
                return Run(dropped, start, 64 * 1024, c =>
                {
                    c.Invariant = image => BackupRule(image, start);
                    c.Step("record into 1.0.0 file", s => s.Record(CrashChecker.BatchId, Result("日本 ünïcødé", FeatureStatus.Failed, "e"), None));
                    c.Step("record again", s => s.Record(CrashChecker.BatchId, Result("srv-004", FeatureStatus.Completed), None));
                });
            });

            yield return ("repair of a torn journal tail", dropped =>
            {
                var start = TornTail();
                return Run(dropped, start, 64 * 1024, c =>
                {
                    c.Step("record over a torn tail", s => s.Record(CrashChecker.BatchId, Result("f2", FeatureStatus.Completed), None));
                    c.Step("record again", s => s.Record(CrashChecker.BatchId, Result("f3", FeatureStatus.Failed, "e"), None));
                });
            });

            yield return ("repair of a damaged snapshot from its backup", dropped =>
            {
                var start = DamagedSnapshotWithBackup();
                return Run(dropped, start, 64 * 1024, c =>
                {
                    c.Invariant = image => DamagedCopyRule(image, start);
                    c.Step("Repair-BatchState", s => s.Repair(CrashChecker.BatchId, None));
                    c.Step("record after the repair", s => s.Record(CrashChecker.BatchId, Result("srv-003", FeatureStatus.Completed), None));
                });
            });

            yield return ("claims, renewals and releases", dropped => Run(dropped, null, 64 * 1024, c =>
            {
                var alice = new WorkerIdentity("host-a", 101, "s1");
                var bob = new WorkerIdentity("host-b", 202, "s1");
                long token = 0;
                c.Step("create", s => s.Create(Definition(4), false, None));
                c.Step("alice claims two", s => token = s.Claim(CrashChecker.BatchId, new ClaimRequest(alice, 2), None).Claimed[0].ClaimToken);
                c.Step("bob claims one", s => s.Claim(CrashChecker.BatchId, new ClaimRequest(bob, 1), None));
                c.Step("alice's heartbeat", s => s.Renew(CrashChecker.BatchId, alice, TimeSpan.FromMinutes(5), None));
                c.Step("alice records under her claim", s => s.Record(CrashChecker.BatchId, new FeatureResult("f0", FeatureStatus.Completed) { ClaimToken = token }, None));
                c.Step("alice releases the rest", s => s.Release(CrashChecker.BatchId, alice, null, None));
                c.Step("bob takes what alice let go", s => s.Claim(CrashChecker.BatchId, new ClaimRequest(bob, 5), None));
                c.Step("a late result is refused, nothing written", s => Assert.Throws<ClaimLostException>(() => s.Record(CrashChecker.BatchId, new FeatureResult("f0", FeatureStatus.Failed, "late") { ClaimToken = token }, None)));
                c.Step("bob's claims released", s => s.Release(CrashChecker.BatchId, bob, null, None));
            }));

            yield return ("replace and remove", dropped => Run(dropped, null, 64 * 1024, c =>
            {
                c.Step("create", s => s.Create(Definition(3), false, None));
                c.Step("record", s => s.Record(CrashChecker.BatchId, Result("f0", FeatureStatus.Completed), None));
                c.Step("replace (-Force)", s => s.Create(new BatchDefinition("replacement", new[] { "x", "y" }) { BatchId = CrashChecker.BatchId }, true, None));
                c.Step("record in the replacement", s => s.Record(CrashChecker.BatchId, Result("x", FeatureStatus.Completed), None));
                c.Step("remove", s => s.Remove(CrashChecker.BatchId, None));
            }));
        }

        private static CrashChecker Run(string? droppedFsync, DiskImage? start, long compactionMinimum, Action<CrashChecker> steps)
        {
            var checker = new CrashChecker(start, compactionMinimum);
            checker.Disk.DroppedFsync = droppedFsync;
            steps(checker);
            return checker;
        }

        [Fact]
        public void Every_crash_state_of_every_scenario_loads_as_before_or_after_and_keeps_every_acknowledged_result()
        {
            var failures = new List<string>();
            int total = 0;
            foreach (var (name, run) in Scenarios())
            {
                var checker = run(null);
                total += checker.StatesChecked;
                _output.WriteLine($"crash simulation: {name}: {checker.StatesChecked} crash states checked, {checker.Violations.Count} violations");
                failures.AddRange(checker.Violations.Take(3).Select(v => name + ": " + v));
            }
            _output.WriteLine($"crash simulation: {total} crash states in all");
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            Assert.True(total > 150, $"only {total} crash states: the simulation is not looking");
        }

        [Fact]
        public void Dropping_any_one_fsync_of_the_protocol_is_caught()
        {
            // First learn every fsync site the scenarios go through, then drop each in turn.
            var sites = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (_, run) in Scenarios()) sites.UnionWith(run(null).Disk.FsyncSites.Keys);
            Assert.Contains("fsync of journal append", sites);
            Assert.Contains("fsync of temp of snapshot", sites);
            Assert.Contains("folder fsync after rename to backup", sites); // it also makes the snapshot's rename durable

            // A scenario only counts as a witness if it is clean with every fsync in place.
            var clean = Scenarios().Where(s => s.Run(null).Violations.Count == 0).ToList();
            var undetected = new List<string>();
            foreach (string site in sites)
            {
                var caughtBy = clean.Select(s => (s.Name, Checker: s.Run(site))).Where(r => r.Checker.Violations.Count > 0).Select(r => r.Name).ToList();
                _output.WriteLine($"dropping '{site}': caught by {(caughtBy.Count == 0 ? "nothing" : string.Join(", ", caughtBy))}");
                if (caughtBy.Count == 0) undetected.Add(site);
            }
            Assert.True(undetected.Count == 0, "fsyncs whose loss no scenario notices: " + string.Join(", ", undetected));
        }

        /// <summary>Once the damaged snapshot is replaced, a copy of it, byte for byte, must be on the disk.</summary>
        private static string? DamagedCopyRule(DiskImage image, DiskImage start)
        {
            byte[] damaged = start.Files[CrashChecker.BatchId + ".json"];
            if (image.Files.TryGetValue(CrashChecker.BatchId + ".json", out var now) && now.SequenceEqual(damaged)) return null;
            return image.Files.Any(f => f.Key.StartsWith(CrashChecker.BatchId + ".json.corrupt-", StringComparison.Ordinal) && f.Value.SequenceEqual(damaged))
                ? null : "the damaged snapshot was replaced but no copy of it was kept.";
        }

        /// <summary>Once a file holds the migrated version, its backup must hold the original, whole.</summary>
        private static string? BackupRule(DiskImage image, DiskImage start)
        {
            string snapshot = CrashChecker.BatchId + ".json";
            if (!image.Files.TryGetValue(snapshot, out var bytes) || bytes.SequenceEqual(start.Files[snapshot])) return null;
            if (!Encoding.UTF8.GetString(bytes).Contains("\"schemaVersion\": \"" + StateCmdlets.Core.Batches.FileStore.Schema.BatchSchema.Current + "\"")) return null;
            if (!image.Files.TryGetValue(snapshot + ".v1.0.0.bak", out var backup)) return "the file was migrated but its backup is missing.";
            return backup.SequenceEqual(start.Files[snapshot]) ? null : "the backup of the migrated file is not the original.";
        }

        private static DiskImage Version1File()
        {
            string json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "v1.0.0.json")).Replace("\"v1.0.0\"", "\"" + CrashChecker.BatchId + "\"");
            var image = new DiskImage();
            image.Files[CrashChecker.BatchId + ".json"] = Encoding.UTF8.GetBytes(json);
            return image;
        }

        /// <summary>A 1.0.0 file upgraded on its first write (so a backup exists), a result in the journal, then the snapshot damaged.</summary>
        private static DiskImage DamagedSnapshotWithBackup()
        {
            var disk = new SimulatedDisk(Version1File());
            var store = new FileBatchStore(SimulatedDisk.Folder, new FileStoreOptions { FileSystem = disk });
            store.Record(CrashChecker.BatchId, Result("srv-004", FeatureStatus.Completed), None);
            store.Record(CrashChecker.BatchId, Result("日本 ünïcødé", FeatureStatus.Failed, "again"), None);
            var image = disk.Current();
            image.Files[CrashChecker.BatchId + ".json"] = Encoding.UTF8.GetBytes("{ \"schemaVersion\": \"1.2.0\", broken");
            return image;
        }

        private static DiskImage TornTail()
        {
            var disk = new SimulatedDisk();
            var store = new FileBatchStore(SimulatedDisk.Folder, new FileStoreOptions { FileSystem = disk });
            store.Create(Definition(4), false, None);
            store.Record(CrashChecker.BatchId, Result("f0", FeatureStatus.Completed), None);
            store.Record(CrashChecker.BatchId, Result("f1", FeatureStatus.Failed, "e"), None);
            var image = disk.Current();
            string journal = CrashChecker.BatchId + ".journal";
            image.Files[journal] = image.Files[journal].Concat(Encoding.UTF8.GetBytes("{\"seq\":3,\"op\":\"result\",\"feat")).ToArray();
            return image;
        }
    }
}
