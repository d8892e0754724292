using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets.Core.Tests.CrashSimulation
{
    /// <summary>
    /// Runs a scenario's steps on a <see cref="SimulatedDisk"/>; before every disk operation it takes
    /// every crash state of that moment and checks, once the step is over, that each one loads and
    /// shows the batch either as it was before the step or as it is after it (so every result
    /// acknowledged before the crash is there), and that a writer can go on from it.
    /// </summary>
    internal sealed class CrashChecker
    {
        public const string BatchId = "b1";
        private const string None = "<no batch>";
        private const string Damaged = "<damaged batch>";

        private readonly SimulatedDisk _disk;
        private readonly long _compactionMinimum;

        public CrashChecker(DiskImage? start = null, long compactionMinimum = 64 * 1024)
        {
            _disk = start == null ? new SimulatedDisk() : new SimulatedDisk(start);
            _compactionMinimum = compactionMinimum;
            Store = NewStore(_disk);
        }

        public FileBatchStore Store { get; }

        public SimulatedDisk Disk => _disk;

        /// <summary>Crash states checked so far.</summary>
        public int StatesChecked { get; private set; }

        public List<string> Violations { get; } = new List<string>();

        /// <summary>An extra rule every crash state of a step must meet (null: fine; else what is wrong).</summary>
        public Func<DiskImage, string?>? Invariant { get; set; }

        public void Step(string name, Action<FileBatchStore> step)
        {
            string before = Describe(_disk.Current());
            var images = new List<DiskImage>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            _disk.BeforeChange = () =>
            {
                foreach (var image in _disk.CrashImages())
                    if (seen.Add(image.Key())) images.Add(image);
            };
            try
            {
                step(Store);
            }
            finally
            {
                _disk.BeforeChange = null;
            }
            foreach (var image in _disk.CrashImages()) if (seen.Add(image.Key())) images.Add(image);
            string after = Describe(_disk.Current());

            foreach (var image in images)
            {
                StatesChecked++;
                string problem = Check(image, before, after);
                if (problem != null) Violations.Add($"{name}: {problem}\n    disk: {image}");
            }
        }

        private string Check(DiskImage image, string before, string after)
        {
            string found;
            try
            {
                found = Describe(image);
            }
            catch (Exception e)
            {
                return $"loading failed: {e.GetType().Name}: {e.Message}";
            }
            if (found != before && found != after)
                return $"shows neither the state before nor after the step.\n    before: {before}\n    after:  {after}\n    found:  {found}";
            string? broken = Invariant?.Invoke(image);
            if (broken != null) return broken;
            if (found == None || found == Damaged) return null!;

            // Recovery: a writer must be able to go on from this disk, and what it records must stick.
            try
            {
                var recovered = new SimulatedDisk(image);
                var store = NewStore(recovered);
                string feature = store.Load(BatchId).Features[0].Name;
                store.Record(BatchId, new FeatureResult(feature, FeatureStatus.Skipped, "after recovery"), CancellationToken.None);
                var again = NewStore(new SimulatedDisk(recovered.Current())).Load(BatchId);
                if (again.Features[0].LastError != "after recovery") return "a result recorded after recovery was lost.";
            }
            catch (Exception e)
            {
                return $"recording after recovery failed: {e.GetType().Name}: {e.Message}";
            }
            return null!;
        }

        /// <summary>The logical batch a disk holds, as text (the schema version aside: migration keeps the content).</summary>
        private string Describe(DiskImage image)
        {
            Batch batch;
            try
            {
                batch = NewStore(new SimulatedDisk(image)).Load(BatchId);
            }
            catch (BatchNotFoundException)
            {
                return None;
            }
            catch (StateFileCorruptException)
            {
                // Only a scenario that starts from damage (a repair) may show it, as its state before.
                return Damaged;
            }
            var text = new StringBuilder();
            text.Append(batch.Name).Append(" max=").Append(batch.MaxAttempts).Append(" updated=").Append(batch.UpdatedAt.Ticks).Append(" tokens=").Append(batch.LastClaimToken);
            foreach (var f in batch.Features)
            {
                text.Append(" | ").Append(f.Name).Append(' ').Append(f.Status).Append(" x").Append(f.Attempts)
                    .Append(" err=").Append(f.LastError).Append(" data=").Append(f.Data.HasValue ? System.Text.Json.JsonSerializer.Serialize(f.Data.Value) : "")
                    .Append(" claim=").Append(f.ClaimToken).Append('@').Append(f.ClaimedBy).Append(':').Append(f.LeaseExpiresAt?.Ticks);
            }
            return text.ToString();
        }

        private FileBatchStore NewStore(SimulatedDisk disk)
        {
            long tick = 0;
            return new FileBatchStore(SimulatedDisk.Folder, new FileStoreOptions
            {
                FileSystem = disk,
                FoldMinimumBytes = _compactionMinimum,
                // A clock that moves, so every result has its own time.
                UtcNow = () => new DateTime(2026, 11, 25, 10, 0, 0, DateTimeKind.Utc).AddTicks(Interlocked.Increment(ref tick) * 10000),
            });
        }
    }
}
