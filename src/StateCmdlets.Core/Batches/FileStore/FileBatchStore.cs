using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches.Import;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// The embedded store: batches in one state directory. A batch is a snapshot (B.json) plus a
    /// journal (B.journal) of what was recorded since. Every operation here is one unit of work
    /// under the batch's lock (see <see cref="BatchUnitOfWork"/>), durable before it returns; a
    /// result costs one fsynced record. Readers take no lock: they replay the journal over the
    /// snapshot (<see cref="BatchReader"/>). The fold that writes a new snapshot is
    /// <see cref="SnapshotWriter"/>; records are written by <see cref="JournalWriter"/>.
    /// </summary>
    internal sealed class FileBatchStore : IBatchStore, IGroupCommitStore
    {
        private readonly FileStoreParts _parts;
        private readonly IFileSystem _fs;
        private readonly bool _locationIsFile;

        public FileBatchStore(string stateDirectory, FileStoreOptions? options = null)
        {
            if (string.IsNullOrEmpty(stateDirectory)) throw new ArgumentException("A state directory is required.", nameof(stateDirectory));
            StateDirectory = Path.GetFullPath(stateDirectory);
            Options = options ?? new FileStoreOptions();
            _parts = new FileStoreParts(Options);
            _fs = Options.FileSystem;
            // One stat when the folder is there (the usual case), two when it is not.
            _locationIsFile = !_fs.DirectoryExists(StateDirectory) && _fs.FileExists(StateDirectory);
        }

        public string StateDirectory { get; }

        public FileStoreOptions Options { get; }

        public string Location => StateDirectory;

        public bool LocationExists => _fs.DirectoryExists(StateDirectory);

        /// <summary>The files of batch <paramref name="batchId"/>; refuses ids that are not plain names.</summary>
        internal BatchFiles Files(string batchId) => new BatchFiles(UsableDirectory(), batchId);

        /// <summary>The state directory, unless a file has its name: then one clear error, whatever the operation.</summary>
        private string UsableDirectory() => _locationIsFile
            ? throw new StateDirectoryNotFoundException(StateDirectory, $"The state directory '{StateDirectory}' is a file, not a folder. Name a folder with -StateDirectory (or $env:STATECMDLETS_HOME), or move the file away.")
            : StateDirectory;

        public string Address(string batchId) => Files(batchId).Snapshot;

        public bool Exists(string batchId) => _fs.FileExists(Files(batchId).Snapshot);

        public IReadOnlyList<string> ListBatchIds()
        {
            var ids = new List<string>();
            foreach (string name in Guard(StateDirectory, "list", () => _fs.ListFiles(UsableDirectory(), "*" + BatchFiles.SnapshotExtension)))
            {
                string? id = BatchFiles.IdFromSnapshotName(name);
                if (id != null) ids.Add(id);
            }
            return ids;
        }

        /// <summary>A batch whose snapshot is missing still has its journal or backup: Test-BatchState looks at it too.</summary>
        public IReadOnlyList<string> ListBatchIdsToInspect()
        {
            var ids = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string name in Guard(StateDirectory, "list", () => _fs.ListFiles(UsableDirectory(), "*")))
            {
                string? id = BatchFiles.IdFromMainFileName(name);
                if (id != null) ids.Add(id);
            }
            return ids.ToList();
        }

        public Batch Create(BatchDefinition definition, bool replace, CancellationToken cancellationToken)
        {
            while (true)
            {
                DateTime now = Options.UtcNow();
                string id = definition.BatchId ?? BatchId.Generate(now);
                // Validated whole before anything touches the disk.
                var batch = Batch.Create(id, definition, now, Options.Migrator.Current);
                if (_parts.NewBatches.Write(Files(id), batch, replace, idWasGenerated: definition.BatchId == null, cancellationToken)) return batch;
            }
        }

        public Batch Import(ImportedBatch imported, bool replace, CancellationToken cancellationToken)
        {
            var files = Files(imported.BatchId);
            var batch = imported.ToBatch(Options.UtcNow(), Options.Migrator.Current);
            // What is written must read back: a value the reader refuses (a negative count, say) is the source's fault, said now.
            try
            {
                BatchDocument.Deserialize(BatchDocument.Serialize(batch, default), files.Snapshot, batch.BatchId, Options.Migrator, out _, out _);
            }
            catch (StateFileCorruptException e)
            {
                throw new StateFileCorruptException(imported.SourcePath, null, $"it cannot become a valid batch: {e.Problem}");
            }
            _parts.NewBatches.Write(files, batch, replace, idWasGenerated: false, cancellationToken);
            return batch;
        }

        /// <summary>New features go into a fresh snapshot (a fold): rare, and every reader of B.json sees them at once.</summary>
        public int AddFeatures(string batchId, IReadOnlyList<string> features, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Run(files, cancellationToken, session =>
            {
                var added = session.Batch.AddFeatures(features);
                if (added.Count == 0) return 0;
                session.Batch.Touch(Options.UtcNow());
                _parts.Snapshots.Fold(files, session);
                return added.Count;
            });
        }

        public Batch Load(string batchId) => _parts.Reader.Read(Files(batchId)).Batch;

        public BatchSummary Summary(string batchId, CancellationToken cancellationToken) =>
            _parts.Units.Commit(Existing(batchId), cancellationToken, session => new BatchSummary(session.Batch));

        public RecordOutcome Record(string batchId, FeatureResult result, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Commit(files, cancellationToken, session => RecordOn(files, session, result));
        }

        /// <summary>Several results in one group commit: one write and one fsync for all of them, each recorded or refused on its own.</summary>
        public IReadOnlyList<RecordedResult> RecordTogether(string batchId, IReadOnlyList<FeatureResult> results, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            var changes = results.Select(result => (Func<BatchSession, RecordOutcome>)(session => RecordOn(files, session, result))).ToList();
            var done = _parts.Units.CommitAll(files, cancellationToken, changes);
            var recorded = new RecordedResult[results.Count];
            for (int i = 0; i < recorded.Length; i++)
            {
                switch (done[i].Error)
                {
                    case null:
                        recorded[i] = new RecordedResult(results[i], (RecordOutcome)done[i].Result!, null);
                        break;
                    case StateException refused:
                        recorded[i] = new RecordedResult(results[i], null, refused);
                        break;
                    case OperationCanceledException _:
                        recorded[i] = new RecordedResult(results[i], null, null);
                        break;
                    default:
                        throw CommitGroup.Rethrowable(done[i].Error!);
                }
            }
            return recorded;
        }

        private RecordOutcome RecordOn(BatchFiles files, BatchSession session, FeatureResult result)
        {
            var batch = session.Batch;
            DateTime now = Options.UtcNow();
            var recorded = batch.Prepare(result, now, files.Snapshot);
            int remainingBefore = batch.RemainingCount(includeFailed: true);
            _parts.Units.Stage(files, session, sequence => JournalCodec.EncodeRecord(sequence, recorded, now));
            var feature = batch.Apply(recorded, now, files.Snapshot);
            // The batch is done: fold, so the snapshot alone says so.
            if (remainingBefore > 0 && batch.RemainingCount(includeFailed: true) == 0) session.FoldRequested = true;
            return new RecordOutcome(feature.Clone(), batch);
        }

        public Readiness ReadinessOf(string batchId, string featureName, bool includeFailed, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Commit(files, cancellationToken, session =>
            {
                var batch = session.Batch;
                var feature = batch.Find(featureName) ?? throw new FeatureNotFoundException(batchId, featureName, files.Snapshot);
                DateTime now = Options.UtcNow();
                var readiness = batch.ReadinessOf(feature, includeFailed, now);
                if (readiness.Skip != null)
                {
                    _parts.Units.Stage(files, session, sequence => JournalCodec.EncodeRecord(sequence, readiness.Skip, now));
                    batch.Apply(readiness.Skip, now, files.Snapshot);
                }
                return readiness;
            });
        }

        public ClaimGrant Claim(string batchId, ClaimRequest request, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Commit(files, cancellationToken, session =>
            {
                var batch = session.Batch;
                DateTime now = Options.UtcNow();
                var plan = ClaimPlan.For(batch, request, now);
                plan.Grant.Lease = request.Lease ?? batch.Settings.Lease;
                foreach (var skip in plan.Skips) // applied by the plan already
                    _parts.Units.Stage(files, session, sequence => JournalCodec.EncodeRecord(sequence, skip, now));
                if (plan.Picked.Count > 0)
                {
                    DateTime until = now + plan.Grant.Lease;
                    var items = batch.NextClaimItems(plan.Picked);
                    _parts.Units.Stage(files, session, sequence => JournalCodec.EncodeClaim(sequence, request.Worker, items, now, until));
                    batch.ApplyClaim(items, request.Worker, now, until);
                }
                return plan.Complete(batch);
            });
        }

        public int Renew(string batchId, WorkerIdentity worker, TimeSpan? lease, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Commit(files, cancellationToken, session =>
            {
                var batch = session.Batch;
                DateTime now = Options.UtcNow();
                if (batch.LiveClaimsOf(worker, now) == 0) return 0;
                DateTime until = now + (lease ?? batch.Settings.Lease);
                _parts.Units.Stage(files, session, sequence => JournalCodec.EncodeRenewal(sequence, worker, now, until));
                return batch.ApplyRenewal(worker, now, until);
            });
        }

        public int Release(string batchId, WorkerIdentity worker, IReadOnlyCollection<string>? features, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Commit(files, cancellationToken, session =>
            {
                var batch = session.Batch;
                var released = batch.ReleasableBy(worker, features);
                if (released.Count == 0) return 0;
                DateTime now = Options.UtcNow();
                _parts.Units.Stage(files, session, sequence => JournalCodec.EncodeRelease(sequence, worker, released, now));
                batch.ApplyRelease(worker, released);
                return released.Count;
            });
        }

        public BatchSummary Checkpoint(string batchId, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Run(files, cancellationToken, session =>
            {
                session.Batch.RecordCheckpoint(Options.UtcNow());
                _parts.Snapshots.Fold(files, session);
                return new BatchSummary(session.Batch);
            });
        }

        public BatchSummary ResetBreaker(string batchId, CancellationToken cancellationToken) =>
            RecordOperation(batchId, JournalOperation.ResetBreaker, cancellationToken);

        public BatchSummary ResetContext(string batchId, CancellationToken cancellationToken) =>
            RecordOperation(batchId, JournalOperation.ResetContext, cancellationToken);

        private BatchSummary RecordOperation(string batchId, JournalOperation operation, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Commit(files, cancellationToken, session =>
            {
                DateTime now = Options.UtcNow();
                var record = new JournalRecord(0, operation, null, now, 0);
                _parts.Units.Stage(files, session, sequence => JournalCodec.EncodeOperation(sequence, operation, now));
                record.ApplyTo(session.Batch, files.Snapshot);
                return new BatchSummary(session.Batch);
            });
        }

        /// <summary>Deletes every file of the batch (snapshot, journal, backups, temps, lock); returns their paths.</summary>
        public IReadOnlyList<string> Remove(string batchId, CancellationToken cancellationToken)
        {
            var files = Files(batchId);
            // Nothing of the batch on disk: say so without taking (and so creating) its lock file.
            if (!_fs.DirectoryExists(files.Directory) || !_fs.ListFiles(files.Directory, "*").Any(files.OwnsDataFile))
                throw new BatchNotFoundException(batchId, files.Snapshot);
            var removed = new List<string>();
            using (var held = _parts.Units.Lock(files, cancellationToken))
            {
                _parts.Units.Forget(files);
                // The snapshot first, durably: were the journal's deletion to reach the disk before the
                // snapshot's, a crash would bring back the batch without its latest results.
                if (_fs.FileExists(files.Snapshot))
                {
                    Guard(files.Snapshot, "delete", () => _fs.Delete(files.Snapshot));
                    Guard(files.Directory, "flush", () => _fs.FlushDirectory(files.Directory));
                    removed.Add(files.Snapshot);
                }
                foreach (string name in _fs.ListFiles(files.Directory, "*"))
                {
                    if (!files.OwnsDataFile(name)) continue;
                    string path = Path.Combine(files.Directory, name);
                    Guard(path, "delete", () => _fs.Delete(path));
                    removed.Add(path);
                }
                if (removed.Count == 0) throw new BatchNotFoundException(batchId, files.Snapshot);
                Guard(files.Directory, "flush", () => _fs.FlushDirectory(files.Directory));
                // The lock goes last: until the data files are gone, nobody may start over on a new lock file.
                Guard(files.Lock, "delete", held.DeleteFile);
                removed.Add(files.Lock);
            }
            Options.Trace?.Invoke($"Removed {removed.Count} file(s) of batch '{batchId}'.");
            return removed;
        }

        public IReadOnlyList<string> DescribeMigration(SchemaVersion from) => Options.Migrator.Describe(from);

        public MigrationOutcome InspectVersion(string batchId)
        {
            var files = Files(batchId);
            var session = _parts.Reader.Read(files);
            var action = session.FileVersion < Options.Migrator.Current ? MigrationAction.NeedsMigration : MigrationAction.UpToDate;
            // The backup the original would go to, as the fold will choose it (for -WhatIf).
            string? backup = session.OriginalBytes == null ? null : MigrationBackup.Choose(_fs, files.Snapshot, session.FileVersion, session.OriginalBytes, Options.UtcNow());
            return new MigrationOutcome(files.Snapshot, session.FileVersion, SchemaVersion.Max(session.FileVersion, Options.Migrator.Current), action, backup);
        }

        /// <summary>
        /// Rewrites an older batch in the current version after an fsynced backup of the original
        /// (B.json.v&lt;old&gt;.bak). Newer majors are refused untouched.
        /// </summary>
        public MigrationOutcome Migrate(string batchId, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            return _parts.Units.Run(files, cancellationToken, session =>
            {
                var from = session.FileVersion;
                if (!(from < Options.Migrator.Current))
                    return new MigrationOutcome(files.Snapshot, from, from, MigrationAction.UpToDate, null);
                _parts.Snapshots.Fold(files, session);
                return new MigrationOutcome(files.Snapshot, from, session.Batch.SchemaVersion, MigrationAction.Migrated, session.BackupPath ?? files.Backup(from));
            });
        }

        public IReadOnlyList<StateProblem> Inspect(string batchId) => _parts.Repair.Inspect(Files(batchId));

        public RepairReport Repair(string batchId, CancellationToken cancellationToken) => _parts.Repair.Repair(Files(batchId), cancellationToken);

        /// <summary>Splits a path to a snapshot into a store for its folder and the batch's id (Invoke-StateMigration -Path).</summary>
        public static FileBatchStore ForSnapshot(string snapshotPath, FileStoreOptions options, out string batchId)
        {
            var files = BatchFiles.FromSnapshotPath(snapshotPath);
            batchId = files.Id;
            return new FileBatchStore(files.Directory, options);
        }

        /// <summary>
        /// The files of a batch that must exist. Checked before locking so a typo in an id leaves no
        /// stray lock file behind; the read under the lock checks again.
        /// </summary>
        private BatchFiles Existing(string batchId)
        {
            var files = Files(batchId);
            if (!_fs.FileExists(files.Snapshot)) throw new BatchNotFoundException(batchId, files.Snapshot);
            return files;
        }
    }
}
