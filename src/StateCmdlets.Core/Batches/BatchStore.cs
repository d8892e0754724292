using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Batches in one state directory: create, load, record results, list, remove, migrate.
    /// Every change happens under the batch's lock and is durable before the call returns.
    /// Readers take no lock: the snapshot is only ever replaced by an atomic rename.
    /// </summary>
    public sealed class BatchStore
    {
        private readonly IFileSystem _fs;

        public BatchStore(string stateDirectory, BatchStoreOptions? options = null)
        {
            if (string.IsNullOrEmpty(stateDirectory)) throw new ArgumentException("A state directory is required.", nameof(stateDirectory));
            StateDirectory = Path.GetFullPath(stateDirectory);
            Options = options ?? new BatchStoreOptions();
            _fs = Options.FileSystem;
        }

        public string StateDirectory { get; }

        public BatchStoreOptions Options { get; }

        /// <summary>The files of batch <paramref name="batchId"/>; refuses ids that are not plain names.</summary>
        public BatchFiles Files(string batchId) => new BatchFiles(StateDirectory, batchId);

        /// <summary>
        /// Creates a batch. An existing one is an error unless <paramref name="replace"/>; a replaced
        /// file that cannot be read is moved aside, never destroyed.
        /// </summary>
        public Batch Create(BatchDefinition definition, bool replace, CancellationToken cancellationToken)
        {
            bool generated = definition.BatchId == null;
            while (true)
            {
                DateTime now = Options.UtcNow();
                string id = definition.BatchId ?? BatchId.Generate(now);
                var files = Files(id);
                // Validate everything before touching the disk.
                var batch = Batch.Create(id, definition, now, Options.Migrator.Current);
                Guard(files.Directory, "create the state directory", () => _fs.EnsureDirectory(files.Directory));
                using (TakeLock(files, cancellationToken))
                {
                    if (_fs.FileExists(files.Snapshot))
                    {
                        if (generated) continue; // two batches in the same second drew the same suffix
                        if (!replace) throw new BatchAlreadyExistsException(id, files.Snapshot);
                        ClearForReplace(files);
                    }
                    WriteSnapshot(files, batch);
                    return batch;
                }
            }
        }

        public bool Exists(string batchId) => _fs.FileExists(Files(batchId).Snapshot);

        /// <summary>Reads a batch without locking. Older versions are migrated in memory only.</summary>
        public Batch Load(string batchId) => Read(Files(batchId)).Batch;

        /// <summary>Ids of every batch snapshot in the state directory, sorted.</summary>
        public IReadOnlyList<string> ListBatchIds()
        {
            var ids = new List<string>();
            foreach (string name in Guard(StateDirectory, "list", () => _fs.ListFiles(StateDirectory, "*" + BatchFiles.SnapshotExtension)))
            {
                string? id = BatchFiles.IdFromSnapshotName(name);
                if (id != null) ids.Add(id);
            }
            return ids;
        }

        /// <summary>
        /// Records one result under the lock; returns once it is on stable storage.
        /// Unknown features and statuses other than Completed/Failed/Skipped change nothing.
        /// </summary>
        public Batch Record(string batchId, FeatureResult result, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            using (TakeLock(files, cancellationToken))
            {
                var loaded = Read(files);
                loaded.Batch.Apply(result, Options.UtcNow(), files.Snapshot);
                Save(files, loaded);
                return loaded.Batch;
            }
        }

        /// <summary>Deletes every file of the batch (snapshot, journal, backups, temps, lock); returns their paths.</summary>
        public IReadOnlyList<string> Remove(string batchId, CancellationToken cancellationToken)
        {
            var files = Files(batchId);
            if (!_fs.DirectoryExists(files.Directory)) throw new BatchNotFoundException(batchId, files.Snapshot);
            var removed = new List<string>();
            using (var held = TakeLock(files, cancellationToken))
            {
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
            Trace($"Removed {removed.Count} file(s) of batch '{batchId}'.");
            return removed;
        }

        /// <summary>What <see cref="Migrate"/> would do to the batch, without changing anything.</summary>
        public MigrationOutcome InspectVersion(string batchId)
        {
            var files = Files(batchId);
            var loaded = Read(files);
            var action = loaded.FileVersion < Options.Migrator.Current ? MigrationAction.NeedsMigration : MigrationAction.UpToDate;
            return new MigrationOutcome(files.Snapshot, loaded.FileVersion, loaded.Batch.SchemaVersion, action, null);
        }

        /// <summary>
        /// Rewrites an older batch in the current version after an fsynced backup of the original
        /// (B.json.v&lt;old&gt;.bak). Newer majors are refused untouched.
        /// </summary>
        public MigrationOutcome Migrate(string batchId, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            using (TakeLock(files, cancellationToken))
            {
                var loaded = Read(files);
                if (!(loaded.FileVersion < Options.Migrator.Current))
                    return new MigrationOutcome(files.Snapshot, loaded.FileVersion, loaded.Batch.SchemaVersion, MigrationAction.UpToDate, null);
                string backup = Save(files, loaded)!;
                return new MigrationOutcome(files.Snapshot, loaded.FileVersion, loaded.Batch.SchemaVersion, MigrationAction.Migrated, backup);
            }
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

        private StateLock TakeLock(BatchFiles files, CancellationToken cancellationToken)
        {
            var held = Guard(files.Lock, "lock", () => StateLock.Acquire(files.Lock, Options.LockTimeout, cancellationToken));
            Trace($"Locked '{files.Lock}' after {held.Waited.TotalMilliseconds:0.0} ms.");
            return held;
        }

        private StoredBatch Read(BatchFiles files)
        {
            byte[] bytes;
            try
            {
                bytes = _fs.ReadAllBytes(files.Snapshot);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                throw new BatchNotFoundException(files.Id, files.Snapshot);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(files.Snapshot, "read", e);
            }
            var batch = BatchDocument.Deserialize(bytes, files.Snapshot, files.Id, Options.Migrator, out var fileVersion);
            return new StoredBatch(batch, fileVersion, bytes);
        }

        /// <summary>Writes the batch back; an older file is first backed up as it was. Returns the backup path, if any.</summary>
        private string? Save(BatchFiles files, StoredBatch loaded)
        {
            string? backup = null;
            if (loaded.FileVersion < Options.Migrator.Current)
            {
                backup = files.Backup(loaded.FileVersion);
                if (!_fs.FileExists(backup))
                {
                    Guard(backup, "write", () => AtomicFile.Write(_fs, backup, loaded.Bytes));
                    Trace($"Backed up '{files.Snapshot}' (version {loaded.FileVersion}) to '{backup}'.");
                }
            }
            WriteSnapshot(files, loaded.Batch);
            return backup;
        }

        private void WriteSnapshot(BatchFiles files, Batch batch)
        {
            var clock = Stopwatch.StartNew();
            byte[] content = BatchDocument.Serialize(batch);
            Guard(files.Snapshot, "write", () => AtomicFile.Write(_fs, files.Snapshot, content));
            Trace($"Wrote '{files.Snapshot}' ({content.Length} bytes, durable) in {clock.Elapsed.TotalMilliseconds:0.0} ms.");
        }

        /// <summary>Makes room for a replacement: an unreadable snapshot is moved aside, old journal and backups go.</summary>
        private void ClearForReplace(BatchFiles files)
        {
            try
            {
                Read(files);
            }
            catch (Exception e) when (e is StateFileCorruptException || e is StateVersionTooNewException)
            {
                string aside = files.CorruptCopy(Options.UtcNow());
                Guard(files.Snapshot, "move aside", () => _fs.Replace(files.Snapshot, aside));
                Trace($"Moved unreadable '{files.Snapshot}' aside to '{aside}'.");
            }
            foreach (string name in _fs.ListFiles(files.Directory, "*"))
            {
                if (name == files.SnapshotName || name.Contains(".corrupt-") || !files.OwnsDataFile(name)) continue;
                string path = Path.Combine(files.Directory, name);
                Guard(path, "delete", () => _fs.Delete(path));
            }
        }

        private void Trace(string message) => Options.Trace?.Invoke(message);

        private static void Guard(string path, string operation, Action action) => Guard(path, operation, () => { action(); return true; });

        /// <summary>Operating-system failures carry the file and what we were doing with it.</summary>
        private static T Guard<T>(string path, string operation, Func<T> action)
        {
            try
            {
                return action();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(path, operation, e);
            }
        }

        /// <summary>A batch as read from disk, with the bytes and version it was read from.</summary>
        private sealed class StoredBatch
        {
            internal StoredBatch(Batch batch, SchemaVersion fileVersion, byte[] bytes)
            {
                Batch = batch;
                FileVersion = fileVersion;
                Bytes = bytes;
            }

            internal Batch Batch { get; }

            internal SchemaVersion FileVersion { get; }

            internal byte[] Bytes { get; }
        }
    }
}
