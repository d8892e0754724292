using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>Test-BatchState and Repair-BatchState: finding what is wrong with a batch's files, and mending it.</summary>
    internal sealed class BatchRepair
    {

        private readonly FileStoreParts _parts;

        internal BatchRepair(FileStoreParts parts) => _parts = parts;

        /// <summary>Everything wrong with a batch's files. Changes nothing, takes no lock.</summary>
        internal IReadOnlyList<StateProblem> Inspect(BatchFiles files)
        {
            string batchId = files.Id;
            var problems = new List<StateProblem>();
            var names = _parts.Fs.DirectoryExists(files.Directory) ? _parts.Fs.ListFiles(files.Directory, "*") : Array.Empty<string>();
            if (!names.Contains(files.SnapshotName))
            {
                if (!names.Any(files.OwnsDataFile)) throw new BatchNotFoundException(batchId, files.Snapshot);
                problems.Add(new StateProblem(batchId, StateProblemKind.MissingSnapshot, files.Snapshot, null, $"'{files.Snapshot}' is missing while other files of the batch are there."));
            }
            else
            {
                try
                {
                    var session = _parts.Reader.ReadOnce(files);
                    if (session.TornAt.HasValue)
                        problems.Add(new StateProblem(batchId, StateProblemKind.TornJournalWrite, files.Journal, session.TornAt,
                            "the journal ends in a write a crash interrupted; the next result recorded clears it."));
                }
                catch (StateFileCorruptException e) when (e.Kind == CorruptionKind.NotABatch)
                {
                    // Said once: lock, journal and backup are not missing from a file that is no batch.
                    return new[] { new StateProblem(batchId, StateProblemKind.NotABatch, e.Path ?? files.Snapshot, null, e.Problem) };
                }
                catch (StateFileCorruptException e)
                {
                    var kind = e.Path == files.Journal ? StateProblemKind.JournalDamage
                        : e.Kind == CorruptionKind.Unparsable ? StateProblemKind.ParseError
                        : StateProblemKind.SchemaViolation;
                    problems.Add(new StateProblem(batchId, kind, e.Path ?? files.Snapshot, e.Offset, e.Problem));
                }
                catch (StateVersionTooNewException e)
                {
                    problems.Add(new StateProblem(batchId, StateProblemKind.VersionTooNew, e.Path ?? files.Snapshot, null, e.Message));
                }
            }
            if (names.Contains(Path.GetFileName(files.LatestBackup)))
            {
                try
                {
                    BatchDocument.Deserialize(Guard(files.LatestBackup, "read", () => _parts.Fs.ReadAllBytes(files.LatestBackup)), files.LatestBackup, files.Id, _parts.Options.Migrator, out _, out _);
                }
                catch (StateFileCorruptException e)
                {
                    problems.Add(new StateProblem(batchId, StateProblemKind.DamagedBackup, files.LatestBackup, e.Offset,
                        e.Problem + (problems.Any(p => p.Kind == StateProblemKind.ParseError || p.Kind == StateProblemKind.SchemaViolation || p.Kind == StateProblemKind.MissingSnapshot)
                            ? " With the snapshot damaged too, Repair-BatchState can rebuild the batch only from an older backup, if there is one."
                            : " The batch itself reads; Repair-BatchState keeps a copy of the backup aside and writes a fresh one.")));
                }
                catch (StateVersionTooNewException)
                {
                    // Reported for the snapshot, which a newer version wrote along with it.
                }
            }
            foreach (string name in names.Where(files.IsTempFile))
                problems.Add(new StateProblem(batchId, StateProblemKind.OrphanTempFile, Path.Combine(files.Directory, name), null,
                    "a temporary file of an interrupted write (the write never replaced the real file)."));
            if (!names.Contains(Path.GetFileName(files.Lock)))
                problems.Add(new StateProblem(batchId, StateProblemKind.MissingLockFile, files.Lock, null, "the lock file is missing; the next write creates it."));
            return problems;
        }

        /// <summary>
        /// Mends a batch under its lock: a damaged snapshot is moved aside (never deleted) and
        /// rebuilt from the newest good backup plus the journal; a damaged journal is moved aside and
        /// its readable records kept; temporary files of interrupted writes are removed. The report
        /// says what was recovered and what could not be.
        /// </summary>
        internal RepairReport Repair(BatchFiles files, CancellationToken cancellationToken)
        {
            string batchId = files.Id;
            var report = new RepairReport(batchId, files.Snapshot);
            report.Problems.AddRange(Inspect(files));
            if (report.Problems.Any(p => p.Kind == StateProblemKind.NotABatch))
            {
                report.Lost.Add($"'{files.Snapshot}' is not a batch: nothing was changed.");
                return report;
            }
            bool lockExisted = _parts.Fs.FileExists(files.Lock);
            using (_parts.Units.Lock(files, cancellationToken))
            {
                _parts.Units.Forget(files);
                if (!lockExisted) report.Actions.Add($"Created the lock file '{files.Lock}'.");
                // Under the lock no write is under way, so every temporary file of the batch is left over from a crash.
                foreach (string name in _parts.Fs.ListFiles(files.Directory, "*").Where(files.IsTempFile))
                {
                    string path = Path.Combine(files.Directory, name);
                    Guard(path, "delete", () => _parts.Fs.Delete(path));
                    report.Actions.Add($"Removed the temporary file '{path}' of an interrupted write.");
                }

                var kinds = new HashSet<StateProblemKind>(report.Problems.Select(p => p.Kind));
                if (kinds.Contains(StateProblemKind.VersionTooNew))
                {
                    report.Lost.Add("The batch was written by a newer version of StateCmdlets: nothing was changed. Update the module.");
                    return report;
                }
                // Every path below writes a fresh backup; the damaged one is kept aside first, like any damaged file.
                if (kinds.Contains(StateProblemKind.DamagedBackup)) MoveAside(files.LatestBackup, report);
                if (kinds.Contains(StateProblemKind.ParseError) || kinds.Contains(StateProblemKind.SchemaViolation) || kinds.Contains(StateProblemKind.MissingSnapshot))
                    RebuildFromBackup(files, report);
                else if (kinds.Contains(StateProblemKind.JournalDamage))
                    SalvageJournal(files, report);
                else if (kinds.Contains(StateProblemKind.TornJournalWrite))
                {
                    _parts.Units.WithSession(files, session => { _parts.Snapshots.Fold(files, session); return true; });
                    report.Actions.Add("Folded the journal into a fresh snapshot, clearing a write a crash had interrupted.");
                    report.Recovered = true;
                }
                else if (kinds.Contains(StateProblemKind.DamagedBackup))
                {
                    _parts.Units.WithSession(files, session => { _parts.Snapshots.Fold(files, session); return true; });
                    report.Actions.Add($"Wrote a fresh backup '{files.LatestBackup}' (and snapshot) from the batch as it reads.");
                    report.Recovered = true;
                }
                else report.Recovered = true;
            }
            _parts.Options.Trace?.Invoke($"Repaired batch '{batchId}': {report.Actions.Count} action(s), recovered: {report.Recovered}.");
            return report;
        }

        /// <summary>Readable snapshot, damaged journal: keep every record that can be read, move the journal aside.</summary>
        private void SalvageJournal(BatchFiles files, RepairReport report)
        {
            byte[] journal = Guard(files.Journal, "read", () => _parts.Fs.ReadAllBytes(files.Journal));
            var session = _parts.Reader.ReadSnapshotOnly(files);
            var salvage = JournalCodec.Salvage(journal, files.Journal);
            int applied = ApplyBestEffort(files, session, UsableRecords(files, salvage, report), report);
            MoveAside(files.Journal, report);
            _parts.Snapshots.Fold(files, session);
            report.Actions.Add($"Rebuilt the snapshot from '{files.Snapshot}' and {applied} readable journal record(s).");
            report.Recovered = true;
        }

        /// <summary>
        /// The records of a salvaged journal that may be applied to this batch, saying in the report
        /// what cannot be: unreadable lines, a header that does not read, another batch's journal.
        /// </summary>
        private static List<JournalRecord> UsableRecords(BatchFiles files, JournalSalvage salvage, RepairReport report)
        {
            foreach (long offset in salvage.Damaged) report.Lost.Add($"The journal line at byte {offset} could not be read: the result it held is lost.");
            if (!salvage.HeaderRead)
            {
                report.Lost.Add(salvage.Records.Count == 0
                    ? $"The journal '{files.Journal}' has no readable header and no readable record (it is empty or overwritten): every result recorded since the last fold is lost."
                    : $"The journal '{files.Journal}' has no readable header: its {salvage.Records.Count} readable record(s) were applied as they read, and results in unreadable lines are lost.");
                return salvage.Records;
            }
            if (salvage.BatchId != files.Id)
            {
                report.Lost.Add($"The journal '{files.Journal}' belongs to batch '{salvage.BatchId}', not '{files.Id}': none of its {salvage.Records.Count} record(s) were applied, and every result recorded for '{files.Id}' since the last fold is lost.");
                return new List<JournalRecord>();
            }
            return salvage.Records;
        }

        /// <summary>Damaged or missing snapshot: the newest backup that reads, plus what the journal still has.</summary>
        private void RebuildFromBackup(BatchFiles files, RepairReport report)
        {
            BatchSession? rebuilt = null;
            string? used = null;
            // The copy of the last fold first (it goes with the current journal), then migration backups, newest first.
            var names = _parts.Fs.ListFiles(files.Directory, "*");
            var backups = names.Where(n => n == Path.GetFileName(files.LatestBackup))
                .Concat(names
                    .Where(files.IsMigrationBackup)
                    .OrderByDescending(n => files.MigrationBackupVersion(n))
                    .ThenByDescending(n => n.Length) // a stamped second backup of a version is newer than the plain one
                    .ThenByDescending(n => n, StringComparer.Ordinal));
            bool complete = false;
            foreach (string name in backups)
            {
                string path = Path.Combine(files.Directory, name);
                try
                {
                    byte[] bytes = _parts.Fs.ReadAllBytes(path);
                    var batch = BatchDocument.Deserialize(bytes, path, files.Id, _parts.Options.Migrator, out var version, out var mark);
                    rebuilt = new BatchSession(batch, mark, bytes.Length, version, null);
                    used = path;
                    break;
                }
                catch (StateException e)
                {
                    report.Lost.Add($"The backup '{path}' could not be read either: {e.Message}");
                }
            }
            if (rebuilt == null)
            {
                report.Lost.Add($"No good backup of '{files.Snapshot}' was found: nothing was rebuilt, and the damaged file was left where it is.");
                return;
            }

            if (_parts.Fs.FileExists(files.Journal))
            {
                var salvage = JournalCodec.Salvage(Guard(files.Journal, "read", () => _parts.Fs.ReadAllBytes(files.Journal)), files.Journal);
                var records = UsableRecords(files, salvage, report);
                string? generation = salvage.HeaderRead && salvage.BatchId == files.Id ? salvage.Generation : null;
                // The journal of the backup's own generation continues it exactly; a later one is applied as it reads.
                complete = generation != null && generation == rebuilt.Mark.Generation && salvage.Damaged.Count == 0;
                var usable = generation != null && generation == rebuilt.Mark.Generation ? records.Where(r => r.Sequence > rebuilt.Mark.Sequence).ToList() : records;
                int applied = ApplyBestEffort(files, rebuilt, usable, report);
                if (generation != rebuilt.Mark.Generation && applied > 0)
                    report.Actions.Add("The journal was written after the backup: its results were applied as they read (attempt counts may be off by the results the damaged snapshot held).");
                report.Actions.Add($"Applied {applied} journal record(s) to the backup.");
                MoveAside(files.Journal, report);
            }
            if (_parts.Fs.FileExists(files.Snapshot)) MoveAside(files.Snapshot, report);
            rebuilt.LastSequence = 0;
            rebuilt.Mark = default;
            _parts.Snapshots.Fold(files, rebuilt);
            report.Actions.Add($"Rebuilt '{files.Snapshot}' from the backup '{used}'.");
            if (!complete) report.Lost.Add("Results recorded between the backup and the damage that the journal no longer held are lost.");
            report.Recovered = true;
        }

        /// <summary>Applies records in order, skipping those already in the base and those that do not fit it.</summary>
        private int ApplyBestEffort(BatchFiles files, BatchSession session, IEnumerable<JournalRecord> records, RepairReport report)
        {
            int applied = 0;
            foreach (var record in records.OrderBy(r => r.Sequence))
            {
                if (record.Sequence <= session.Mark.Sequence && session.Mark.Generation != null) continue;
                try
                {
                    record.ApplyTo(session.Batch, files.Snapshot);
                    session.LastSequence = Math.Max(session.LastSequence, record.Sequence);
                    applied++;
                }
                catch (StateException e)
                {
                    report.Lost.Add($"Journal record {record.Sequence} (byte {record.Offset}) does not fit the batch: {e.Message}");
                }
            }
            return applied;
        }

        /// <summary>Keeps a damaged file as a durable copy; the rebuild then replaces the original atomically.</summary>
        private void MoveAside(string path, RepairReport report)
        {
            string aside = AsideCopy.Make(_parts.Fs, path, _parts.Options.UtcNow());
            report.Actions.Add($"Kept a copy of the damaged '{path}' as '{aside}' (never deleted).");
        }
    }
}
