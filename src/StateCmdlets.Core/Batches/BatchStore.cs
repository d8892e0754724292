using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Batches in one state directory: create, load, record results, list, remove, migrate.
    /// A batch is a snapshot (B.json) plus a journal (B.journal) of results since. Every change
    /// happens under the batch's lock and is durable before the call returns; a result costs one
    /// appended, fsynced line. Readers take no lock: they replay the journal over the snapshot.
    /// </summary>
    public sealed partial class BatchStore
    {
        /// <summary>Zeros allocated ahead in the journal, so records are written in place (about 500 records' worth).</summary>
        internal const int JournalRoom = 64 * 1024;

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
                    Forget(files);
                    bool exists = _fs.FileExists(files.Snapshot);
                    if (exists)
                    {
                        if (generated) continue; // two batches in the same second drew the same suffix
                        if (!replace) throw new BatchAlreadyExistsException(id, files.Snapshot);
                        MoveAsideIfUnreadable(files);
                    }
                    else if (!replace) RefuseOverRecoverableFiles(files);
                    // The new snapshot's fresh generation makes any old journal stale at once.
                    var session = new BatchSession(batch, default, 0, batch.SchemaVersion, null);
                    Compact(files, session);
                    if (exists) DeleteLeftovers(files);
                    return batch;
                }
            }
        }

        /// <summary>Whether the state directory exists at all (a typo in a path, or no batch made yet).</summary>
        public bool DirectoryExists => _fs.DirectoryExists(StateDirectory);

        /// <summary>Whether a batch with this id has a snapshot (for -WhatIf messages; the write checks again under the lock).</summary>
        public bool Exists(string batchId) => _fs.FileExists(Files(batchId).Snapshot);

        /// <summary>Reads a batch (snapshot, then journal) without locking. Older versions are migrated in memory only.</summary>
        public Batch Load(string batchId) => Read(Files(batchId)).Batch;

        /// <summary>
        /// Ids of every batch with any file in the state directory, a snapshot or not (a batch whose
        /// snapshot is missing still has its journal or backup), sorted: what Test-BatchState checks.
        /// </summary>
        public IReadOnlyList<string> ListBatchIdsWithAnyFile()
        {
            var ids = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string name in Guard(StateDirectory, "list", () => _fs.ListFiles(StateDirectory, "*")))
            {
                string? id = BatchFiles.IdFromMainFileName(name);
                if (id != null) ids.Add(id);
            }
            return ids.ToList();
        }

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
        /// Records one result under the lock; returns once it is on stable storage. Unknown
        /// features and statuses other than Completed/Failed/Skipped change nothing.
        /// </summary>
        public RecordOutcome Record(string batchId, FeatureResult result, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            using (TakeLock(files, cancellationToken))
            {
                return WithSession(files, session =>
                {
                    var before = session.Batch.Check(result, files.Snapshot);
                    int remainingBefore = session.Batch.RemainingCount(includeFailed: true);
                    PrepareJournal(files, session);
                    DateTime now = Options.UtcNow();
                    if (result.Status == FeatureStatus.Failed)
                    {
                        result.Permanent |= session.Batch.IsPermanentErrorType(result.ErrorTypes);
                        if (!result.Permanent) result.RetryAt = Backoff.RetryAt(session.Batch.Settings, before.Attempts + 1, now);
                    }
                    Append(files, session, sequence => JournalCodec.EncodeRecord(sequence, result, now));
                    var feature = session.Batch.Apply(result, now, files.Snapshot);
                    bool finished = remainingBefore > 0 && session.Batch.RemainingCount(includeFailed: true) == 0;
                    if (finished || session.RecordBytes > Math.Max(session.SnapshotLength, Options.CompactionMinimumBytes))
                        Compact(files, session);
                    return new RecordOutcome(feature.Clone(), session.Batch);
                });
            }
        }

        /// <summary>Folds the journal into a fresh snapshot now, and counts the checkpoint in the batch.</summary>
        public BatchSummary Checkpoint(string batchId, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            using (TakeLock(files, cancellationToken))
            {
                return WithSession(files, session =>
                {
                    session.Batch.RecordCheckpoint(Options.UtcNow());
                    Compact(files, session);
                    return new BatchSummary(session.Batch);
                });
            }
        }

        /// <summary>Reads another tool's batch file (never changing it) for <see cref="Import"/>.</summary>
        public IReadOnlyList<Batches.Import.ImportedBatch> ReadForImport(string sourcePath)
        {
            byte[] bytes;
            if (_fs.DirectoryExists(sourcePath))
                throw new InvalidBatchDefinitionException("UnknownBatchFormat", $"'{sourcePath}' is a folder: give the batch state file itself.");
            try
            {
                bytes = _fs.ReadAllBytes(sourcePath);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                throw new StateFiles.StateFileNotFoundException(sourcePath);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(sourcePath, "read", e);
            }
            return Batches.Import.BatchImporter.Read(bytes, sourcePath, Options.UtcNow());
        }

        /// <summary>
        /// Writes a batch read from another tool's file (see Batches.Import.BatchImporter) as one of
        /// ours, with the same id. An existing batch is an error unless <paramref name="replace"/>.
        /// </summary>
        public Batch Import(Batches.Import.ImportedBatch imported, bool replace, CancellationToken cancellationToken)
        {
            var files = Files(imported.BatchId);
            DateTime now = Options.UtcNow();
            foreach (var feature in imported.Features) Batch.CheckName("feature name", feature.Name);
            Batch.CheckName("batch name", imported.Name, "InvalidBatchName");
            imported.Settings.Validate();
            var batch = new Batch(imported.BatchId, imported.Name, imported.CreatedAt ?? now, imported.UpdatedAt ?? imported.CreatedAt ?? now, imported.Settings, Options.Migrator.Current, imported.Features)
            {
                Extensions = imported.Extensions,
            };
            batch.Restore(imported.ContextTokens, imported.ContextClears, imported.ConsecutiveFailures, imported.CheckpointCount, imported.LastCheckpointAt);
            batch.SetDependencies(imported.Dependencies);
            // What is written must read back: a value the reader refuses (a negative count, say) is the source's fault, said now.
            try
            {
                BatchDocument.Deserialize(BatchDocument.Serialize(batch, default), files.Snapshot, batch.BatchId, Options.Migrator, out _, out _);
            }
            catch (StateFileCorruptException e)
            {
                throw new StateFileCorruptException(imported.SourcePath, null, $"it cannot become a valid batch: {e.Problem}");
            }
            Guard(files.Directory, "create the state directory", () => _fs.EnsureDirectory(files.Directory));
            using (TakeLock(files, cancellationToken))
            {
                Forget(files);
                bool exists = _fs.FileExists(files.Snapshot);
                if (exists)
                {
                    if (!replace) throw new BatchAlreadyExistsException(imported.BatchId, files.Snapshot);
                    MoveAsideIfUnreadable(files);
                }
                else if (!replace) RefuseOverRecoverableFiles(files);
                Compact(files, new BatchSession(batch, default, 0, batch.SchemaVersion, null));
                if (exists) DeleteLeftovers(files);
                return batch;
            }
        }

        /// <summary>Closes the circuit breaker of a suspended batch (Resume-BatchState -Reset).</summary>
        public BatchSummary ResetBreaker(string batchId, CancellationToken cancellationToken) =>
            RecordOperation(batchId, JournalOperation.ResetBreaker, cancellationToken);

        /// <summary>Records a clear of the context budget (when, tokens reached) and zeroes the estimate.</summary>
        public BatchSummary ResetContext(string batchId, CancellationToken cancellationToken) =>
            RecordOperation(batchId, JournalOperation.ResetContext, cancellationToken);

        /// <summary>Where the batch stands now, including what other processes recorded (O(1) with a warm session).</summary>
        public BatchSummary Summary(string batchId, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            using (TakeLock(files, cancellationToken))
                return WithSession(files, session => new BatchSummary(session.Batch));
        }

        /// <summary>
        /// Whether a feature should be handed out now, as Resume-BatchState is about to: not if
        /// another process finished it meanwhile, if its retry backoff has not passed, if a feature
        /// it depends on is not done yet, or if the batch is suspended. A feature whose dependency
        /// failed for good is recorded Skipped, with the reason, and not handed out.
        /// </summary>
        public Readiness ReadinessOf(string batchId, string featureName, bool includeFailed, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            using (TakeLock(files, cancellationToken))
            {
                return WithSession(files, session =>
                {
                    var batch = session.Batch;
                    var feature = batch.Find(featureName) ?? throw new FeatureNotFoundException(batchId, featureName, files.Snapshot);
                    DateTime now = Options.UtcNow();
                    bool todo = feature.Status == FeatureStatus.Pending || (includeFailed && feature.IsRetryable(batch.MaxAttempts));
                    if (!todo) return Readiness.Done;
                    if (batch.IsSuspended) return Readiness.Suspended;
                    if (feature.Status == FeatureStatus.Failed && feature.RetryAt > now) return Readiness.Waiting(feature.RetryAt);
                    foreach (string on in feature.DependsOn)
                    {
                        var dependency = batch.Find(on)!;
                        if (dependency.FailedForGood(batch.MaxAttempts) || (dependency.Status == FeatureStatus.Skipped && dependency.LastError?.StartsWith(Readiness.BlockedPrefix, StringComparison.Ordinal) == true))
                        {
                            string reason = $"{Readiness.BlockedPrefix}'{on}' did not complete ({dependency.Status}: {dependency.LastError})";
                            var skip = new FeatureResult(featureName, FeatureStatus.Skipped, reason);
                            PrepareJournal(files, session);
                            Append(files, session, sequence => JournalCodec.EncodeRecord(sequence, skip, now));
                            batch.Apply(skip, now, files.Snapshot);
                            return Readiness.Blocked(reason);
                        }
                        if (dependency.Status != FeatureStatus.Completed && dependency.Status != FeatureStatus.Skipped) return Readiness.Waiting(null);
                    }
                    return Readiness.Ready;
                });
            }
        }

        private BatchSummary RecordOperation(string batchId, JournalOperation operation, CancellationToken cancellationToken)
        {
            var files = Existing(batchId);
            using (TakeLock(files, cancellationToken))
            {
                return WithSession(files, session =>
                {
                    PrepareJournal(files, session);
                    DateTime now = Options.UtcNow();
                    Append(files, session, sequence => JournalCodec.EncodeOperation(sequence, operation, now));
                    Apply(session.Batch, operation, now);
                    return new BatchSummary(session.Batch);
                });
            }
        }

        private static void Apply(Batch batch, JournalOperation operation, DateTime at)
        {
            if (operation == JournalOperation.ResetBreaker) batch.ResetBreaker(at);
            else batch.ResetContext(at);
        }

        /// <summary>Deletes every file of the batch (snapshot, journal, backups, temps, lock); returns their paths.</summary>
        public IReadOnlyList<string> Remove(string batchId, CancellationToken cancellationToken)
        {
            var files = Files(batchId);
            // Nothing of the batch on disk: say so without taking (and so creating) its lock file.
            if (!_fs.DirectoryExists(files.Directory) || !_fs.ListFiles(files.Directory, "*").Any(files.OwnsDataFile))
                throw new BatchNotFoundException(batchId, files.Snapshot);
            var removed = new List<string>();
            using (var held = TakeLock(files, cancellationToken))
            {
                Forget(files);
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
            Trace($"Removed {removed.Count} file(s) of batch '{batchId}'.");
            return removed;
        }

        /// <summary>What migrating a file of <paramref name="from"/> changes, one line per schema step (for -WhatIf).</summary>
        public IReadOnlyList<string> DescribeMigration(SchemaVersion from) => Options.Migrator.Describe(from);

        /// <summary>What <see cref="Migrate"/> would do to the batch, without changing anything.</summary>
        public MigrationOutcome InspectVersion(string batchId)
        {
            var files = Files(batchId);
            var session = Read(files);
            var action = session.FileVersion < Options.Migrator.Current ? MigrationAction.NeedsMigration : MigrationAction.UpToDate;
            // The backup the original would go to, as Compact will choose it (for -WhatIf).
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
            using (TakeLock(files, cancellationToken))
            {
                return WithSession(files, session =>
                {
                    var from = session.FileVersion;
                    if (!(from < Options.Migrator.Current))
                        return new MigrationOutcome(files.Snapshot, from, from, MigrationAction.UpToDate, null);
                    Compact(files, session);
                    return new MigrationOutcome(files.Snapshot, from, session.Batch.SchemaVersion, MigrationAction.Migrated, session.BackupPath ?? files.Backup(from));
                });
            }
        }

        /// <summary>
        /// Runs a change on the batch's writer session (cached, or loaded), keeping it for the next
        /// call only if the change succeeded: after any failure the next call reloads from disk.
        /// </summary>
        private T WithSession<T>(BatchFiles files, Func<BatchSession, T> change)
        {
            var session = WriterSessions.Take(_fs, Options.Migrator, files.Snapshot);
            WriterSessions.Forget(_fs, Options.Migrator, files.Snapshot);
            try
            {
                if (session == null || !CatchUp(files, session))
                {
                    session?.CloseJournal();
                    session = ReadOnce(files);
                }
                T result;
                try
                {
                    result = change(session);
                }
                catch (Exception e) when (e is FeatureNotFoundException || e is InvalidFeatureResultException)
                {
                    // Refused before anything changed: the session is still exact.
                    WriterSessions.Keep(_fs, Options.Migrator, files.Snapshot, session);
                    throw;
                }
                WriterSessions.Keep(_fs, Options.Migrator, files.Snapshot, session);
                return result;
            }
            finally
            {
                // Never held past the lock: another process may replace the journal next.
                session?.CloseJournal();
            }
        }

        private void WithSession(BatchFiles files, Action<BatchSession> change) => WithSession(files, s => { change(s); return true; });

        /// <summary>
        /// Brings a cached session up to date with what other processes wrote since, reading only
        /// the snapshot's first bytes and, through the journal handle the append will use, the
        /// journal's header and whatever follows our last record. False when the files changed in a
        /// way that needs a full reload (compaction, replacement, removal).
        /// </summary>
        private bool CatchUp(BatchFiles files, BatchSession session)
        {
            if (session.JournalHeader == null) return false;
            byte[] prefix;
            try
            {
                prefix = _fs.ReadRange(files.Snapshot, 0, BatchDocument.MarkPrefixLength);
                session.OpenJournal = _fs.OpenWrite(files.Journal);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return false;
            }
            var mark = BatchDocument.TryReadMark(prefix);
            if (mark == null || mark.Value.Generation != session.Mark.Generation || mark.Value.Sequence != session.Mark.Sequence) return false;

            var journal = session.OpenJournal;
            var header = new byte[session.JournalHeader.Length];
            if (Guard(files.Journal, "read", () => journal.ReadAt(0, header, 0, header.Length)) != header.Length || !Same(header, session.JournalHeader)) return false;
            // Records are written in place over zeros: a non-zero byte where ours end means news.
            var next = new byte[1];
            if (Guard(files.Journal, "read", () => journal.ReadAt(session.JournalLength, next, 0, 1)) == 0 || next[0] == 0) return true;

            long tailLength = Guard(files.Journal, "read", () => journal.Length) - session.JournalLength;
            if (tailLength <= 0 || tailLength > int.MaxValue) return false;
            var tail = new byte[tailLength];
            int got = Guard(files.Journal, "read", () => journal.ReadAt(session.JournalLength, tail, 0, tail.Length));
            if (got < tail.Length) Array.Resize(ref tail, got);
            var contents = JournalCodec.DecodeTail(tail, session.JournalLength, files.Journal);
            ApplyRecords(files, session, contents);
            Trace($"Caught up with {contents.Records.Count} record(s) other writers added to '{files.Journal}'.");
            return true;
        }

        /// <summary>
        /// A read without the lock. A writer may compact between our reading the snapshot and the
        /// journal; then the journal's generation no longer matches and we read again, so a reader
        /// never misses an acknowledged result.
        /// </summary>
        private BatchSession Read(BatchFiles files)
        {
            for (int attempt = 1; ; attempt++)
            {
                var session = ReadOnce(files);
                if (!session.StaleJournalSeen || attempt >= 20) return session;
                var mark = BatchDocument.TryReadMark(Guard(files.Snapshot, "read", () => ReadPrefixOrEmpty(files.Snapshot)));
                if (mark.HasValue && mark.Value.Generation == session.Mark.Generation && mark.Value.Sequence == session.Mark.Sequence)
                    return session; // the snapshot did not move: that journal really is a leftover
            }
        }

        private byte[] ReadPrefixOrEmpty(string path)
        {
            try
            {
                return _fs.ReadRange(path, 0, BatchDocument.MarkPrefixLength);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return new byte[0];
            }
        }

        /// <summary>Full read: snapshot, migrated in memory if older, then the journal replayed over it.</summary>
        private BatchSession ReadOnce(BatchFiles files)
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
            var batch = BatchDocument.Deserialize(bytes, files.Snapshot, files.Id, Options.Migrator, out var fileVersion, out var mark);
            var session = new BatchSession(batch, mark, bytes.Length, fileVersion, fileVersion < Options.Migrator.Current ? bytes : null);
            if (mark.Generation == null) return session; // no journal goes with this snapshot

            byte[] journal;
            try
            {
                journal = _fs.ReadAllBytes(files.Journal);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return session;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(files.Journal, "read", e);
            }
            var contents = JournalCodec.Decode(journal, files.Journal, files.Id, mark.Generation);
            if (contents.Generation != mark.Generation)
            {
                // Stale: left over from before the last snapshot, or the snapshot moved on while we read.
                session.StaleJournalSeen = true;
                return session;
            }
            session.JournalHeader = Slice(journal, contents.HeaderLength);
            session.JournalLength = contents.HeaderLength;
            ApplyRecords(files, session, contents);
            session.JournalCapacity = journal.Length;
            return session;
        }

        private static void ApplyRecords(BatchFiles files, BatchSession session, JournalContents contents)
        {
            foreach (var record in contents.Records)
            {
                if (record.Sequence != session.LastSequence + 1)
                    throw new StateFileCorruptException(files.Journal, record.Offset,
                        $"record {record.Sequence} follows record {session.LastSequence}: records are missing or repeated.");
                try
                {
                    if (record.Operation == JournalOperation.Result) session.Batch.Apply(record.Result!, record.At, files.Snapshot);
                    else Apply(session.Batch, record.Operation, record.At);
                }
                catch (StateException e)
                {
                    throw new StateFileCorruptException(files.Journal, record.Offset, $"record {record.Sequence} cannot be applied: {e.Message}", e);
                }
                session.LastSequence = record.Sequence;
            }
            session.JournalLength = contents.ValidLength;
            session.TornAt = contents.TornAt;
            session.DirtyEnd = contents.DirtyEnd;
            session.JournalCapacity = Math.Max(session.JournalCapacity, contents.Capacity);
        }

        /// <summary>Makes sure the journal on disk goes with the snapshot before a record is appended to it.</summary>
        private void PrepareJournal(BatchFiles files, BatchSession session)
        {
            // An older snapshot, or one with no journal: fold into a current snapshot with a journal first.
            if (session.Mark.Generation == null || session.FileVersion < Options.Migrator.Current)
            {
                Compact(files, session);
                return;
            }
            if (session.JournalHeader != null) return;
            // Missing or stale journal (a crash between a snapshot and its journal): fold again, so the
            // backup and the new journal share the snapshot's generation (rare, so the cost is no matter).
            Compact(files, session);
        }

        /// <summary>A new journal, atomically: its header line, then zeros the next records are written over.</summary>
        private void StartJournal(BatchFiles files, BatchSession session, string generation)
        {
            session.CloseJournal(); // it is about to be replaced
            byte[] header = JournalCodec.EncodeHeader(files.Id, generation);
            var content = new byte[Math.Max(header.Length, JournalRoom)];
            Buffer.BlockCopy(header, 0, content, 0, header.Length);
            Guard(files.Journal, "write", () => AtomicFile.Write(_fs, files.Journal, content));
            session.JournalHeader = header;
            session.JournalLength = header.Length;
            session.DirtyEnd = header.Length;
            session.JournalCapacity = content.Length;
            session.TornAt = null;
        }

        /// <summary>
        /// Writes one record where the last one ends, over the zeros allocated ahead (no change of
        /// file size, so the fsync costs the least), clearing any leftovers of a torn write after it,
        /// and growing the file by a chunk of zeros when the room runs out.
        /// </summary>
        private void Append(BatchFiles files, BatchSession session, Func<long, byte[]> encode)
        {
            var clock = Stopwatch.StartNew();
            long sequence = session.LastSequence + 1;
            byte[] line = encode(sequence);
            long position = session.JournalLength;
            long end = position + line.Length;
            long writeTo = Math.Max(end, session.DirtyEnd);
            long capacity = session.JournalCapacity;
            if (end > capacity) writeTo = capacity = end + JournalRoom;
            var buffer = new byte[writeTo - position];
            Buffer.BlockCopy(line, 0, buffer, 0, line.Length);
            Guard(files.Journal, "write to", () =>
            {
                var journal = session.OpenJournal ??= _fs.OpenWrite(files.Journal);
                try
                {
                    journal.WriteAt(position, buffer, 0, buffer.Length);
                    journal.Flush();
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    // Not acknowledged, so it must not appear later either: take it back if we can.
                    try { journal.WriteAt(position, new byte[line.Length], 0, line.Length); }
                    catch (IOException) { /* the next writer finds it torn or whole; the failure is reported either way */ }
                    throw;
                }
            });
            session.LastSequence = sequence;
            session.JournalLength = end;
            session.DirtyEnd = end;
            session.JournalCapacity = Math.Max(capacity, writeTo);
            session.TornAt = null;
            Trace($"Wrote record {sequence} to '{files.Journal}' ({line.Length} bytes, fsynced) in {clock.Elapsed.TotalMilliseconds:0.00} ms.");
        }

        /// <summary>
        /// Writes the whole batch as a new snapshot with a fresh journal generation, then a fresh
        /// journal. A crash in between leaves the new snapshot with a stale journal, which readers
        /// ignore: its records are all in the snapshot. An older file is backed up first.
        /// </summary>
        private void Compact(BatchFiles files, BatchSession session)
        {
            var clock = Stopwatch.StartNew();
            if (session.OriginalBytes != null && session.FileVersion < Options.Migrator.Current)
            {
                byte[] original = session.OriginalBytes;
                string backup = MigrationBackup.Choose(_fs, files.Snapshot, session.FileVersion, original, Options.UtcNow());
                if (!_fs.FileExists(backup))
                {
                    Guard(backup, "write", () => AtomicFile.Write(_fs, backup, original));
                    Trace($"Backed up '{files.Snapshot}' (version {session.FileVersion}) to '{backup}'.");
                }
                session.BackupPath = backup;
            }
            session.Batch.SchemaVersion = SchemaVersion.Max(Options.Migrator.Current, session.FileVersion);
            var mark = new SnapshotMark(NewGeneration(), session.LastSequence);
            byte[] snapshot = BatchDocument.Serialize(session.Batch, mark);
            // The backup's folder fsync right after makes this rename durable too: one folder fsync, not two.
            // Either snapshot goes with the old journal (which a newer snapshot marks stale).
            Guard(files.Snapshot, "write", () => AtomicFile.Write(_fs, files.Snapshot, snapshot, flushDirectory: false));
            // After the snapshot, so a crash in between leaves the previous backup with its own journal.
            Guard(files.LatestBackup, "write", () => AtomicFile.Write(_fs, files.LatestBackup, snapshot));
            StartJournal(files, session, mark.Generation!);

            session.Mark = mark;
            session.SnapshotLength = snapshot.Length;
            session.FileVersion = session.Batch.SchemaVersion;
            session.OriginalBytes = null;
            Trace($"Wrote snapshot '{files.Snapshot}' ({snapshot.Length} bytes, up to record {mark.Sequence}) and a fresh journal in {clock.Elapsed.TotalMilliseconds:0.0} ms.");
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

        private ILockHandle TakeLock(BatchFiles files, CancellationToken cancellationToken)
        {
            var held = Guard(files.Lock, "lock", () => _fs.AcquireLock(files.Lock, Options.LockTimeout, cancellationToken));
            Trace($"Locked '{files.Lock}' after {held.Waited.TotalMilliseconds:0.0} ms.");
            return held;
        }

        private void Forget(BatchFiles files) => WriterSessions.Forget(_fs, Options.Migrator, files.Snapshot);

        /// <summary>
        /// No snapshot, but the journal or the backup of a batch with this id is there (a lost or
        /// deleted B.json): its results can still be recovered, so only -Force writes over them.
        /// </summary>
        private void RefuseOverRecoverableFiles(BatchFiles files)
        {
            string? left = new[] { files.Journal, files.LatestBackup }.FirstOrDefault(_fs.FileExists);
            if (left == null) return;
            throw new BatchAlreadyExistsException(files.Id, left,
                $"Batch '{files.Id}' has no snapshot '{files.Snapshot}', but '{left}' is there: its results may be recoverable. " +
                $"Run Repair-BatchState -BatchId {files.Id} to rebuild the batch, Remove-BatchState -BatchId {files.Id} to delete what is left of it, or -Force to replace it with a new one.");
        }

        /// <summary>Before a replacement: an unreadable snapshot is moved aside, never destroyed.</summary>
        private void MoveAsideIfUnreadable(BatchFiles files)
        {
            try
            {
                ReadOnce(files);
            }
            catch (Exception e) when (e is StateFileCorruptException || e is StateVersionTooNewException)
            {
                string aside = CopyAside(files.Snapshot);
                Trace($"Kept unreadable '{files.Snapshot}' as '{aside}' before replacing it.");
            }
        }

        /// <summary>
        /// A durable copy of a file before it is replaced. A copy, not a rename: until the atomic
        /// replacement, the original stays where it was, so a crash never leaves the batch missing.
        /// </summary>
        private string CopyAside(string path)
        {
            string aside = BatchFiles.CorruptCopyOf(path, Options.UtcNow());
            byte[] bytes = Guard(path, "read", () => _fs.ReadAllBytes(path));
            Guard(aside, "write", () => AtomicFile.Write(_fs, aside, bytes));
            return aside;
        }

        /// <summary>After a replacement: the old batch's backups and temp files go (moved-aside copies stay).</summary>
        private void DeleteLeftovers(BatchFiles files)
        {
            foreach (string name in _fs.ListFiles(files.Directory, "*"))
            {
                bool leftover = files.IsMigrationBackup(name) || files.IsTempFile(name); // under the lock, every temp file is a crash's leftover
                if (!leftover) continue;
                string path = Path.Combine(files.Directory, name);
                Guard(path, "delete", () => _fs.Delete(path));
            }
        }

        private void Trace(string message) => Options.Trace?.Invoke(message);

        private static string NewGeneration()
        {
            var bytes = new byte[8];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return BitConverter.ToString(bytes).Replace("-", string.Empty).ToLowerInvariant();
        }

        private static byte[] Slice(byte[] bytes, long length)
        {
            var slice = new byte[length];
            Buffer.BlockCopy(bytes, 0, slice, 0, (int)length);
            return slice;
        }

        private static bool Same(byte[] a, byte[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }

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
    }
}
