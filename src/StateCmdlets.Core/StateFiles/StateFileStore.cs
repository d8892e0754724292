using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// JSON state files of any shape, at any path. Readers take no lock and always see a whole
    /// file; every write is atomic and durable (<see cref="AtomicFile"/>) and made under an
    /// exclusive lock on the sidecar F.lock, so read-modify-write cycles from any number of
    /// processes never lose an update.
    /// </summary>
    public sealed class StateFileStore
    {
        private readonly IFileSystem _fs;

        public StateFileStore(StateFileOptions? options = null)
        {
            Options = options ?? new StateFileOptions();
            _fs = Options.FileSystem;
        }

        public StateFileOptions Options { get; }

        /// <summary>
        /// Everything wrong with a state file, changing nothing: not JSON (with the byte offset), a
        /// malformed schemaVersion, temporary files of interrupted writes, a missing lock file.
        /// <paramref name="content"/> may find more in a document that parses: what the caller's
        /// own reading of it cannot hold (an <see cref="Batches.StateProblemKind.UnsupportedContent"/>).
        /// </summary>
        public System.Collections.Generic.IReadOnlyList<Batches.StateProblem> Inspect(string path, Func<JsonElement, string?>? content = null)
        {
            var files = new StateFilePaths(path);
            var problems = new System.Collections.Generic.List<Batches.StateProblem>();
            try
            {
                var document = Read(path);
                if (StateFileDocument.HasVersion(document))
                    StateFileDocument.VersionOf(document, files.Data);
                string? unsupported = content?.Invoke(document);
                if (unsupported != null)
                    problems.Add(new Batches.StateProblem(null, Batches.StateProblemKind.UnsupportedContent, files.Data, null, unsupported));
            }
            catch (StateFileCorruptException e)
            {
                var kind = e.Problem.StartsWith("it is not valid JSON", StringComparison.Ordinal) || e.Problem.StartsWith("the file is empty", StringComparison.Ordinal)
                    ? Batches.StateProblemKind.ParseError : Batches.StateProblemKind.SchemaViolation;
                problems.Add(new Batches.StateProblem(null, kind, files.Data, e.Offset, e.Problem));
            }
            catch (InvalidStateDocumentException e)
            {
                problems.Add(new Batches.StateProblem(null, Batches.StateProblemKind.SchemaViolation, files.Data, null, e.Message));
            }
            foreach (string name in _fs.ListFiles(files.Directory, "*"))
            {
                if (AtomicFile.IsTempNameOf(name, files.FileName))
                    problems.Add(new Batches.StateProblem(null, Batches.StateProblemKind.OrphanTempFile, Path.Combine(files.Directory, name), null,
                        "a temporary file of an interrupted write (the write never replaced the real file)."));
            }
            if (!_fs.FileExists(files.Lock))
                problems.Add(new Batches.StateProblem(null, Batches.StateProblemKind.MissingLockFile, files.Lock, null, "the lock file is missing; the next write creates it."));
            return problems;
        }

        /// <summary>The whole document, without a lock. A missing file is <see cref="StateFileNotFoundException"/>.</summary>
        public JsonElement Read(string path)
        {
            var files = new StateFilePaths(path);
            return Load(files) ?? throw new StateFileNotFoundException(files.Data);
        }

        /// <summary>
        /// Replaces the file with <paramref name="document"/>. With <paramref name="schemaVersion"/>
        /// the document (an object) gets that schemaVersion, and a file from a newer major version
        /// is refused untouched; the old content is otherwise not read (it may even be damaged).
        /// </summary>
        public void Save(string path, JsonElement document, SchemaVersion? schemaVersion, CancellationToken cancellationToken)
        {
            var files = new StateFilePaths(path);
            if (schemaVersion.HasValue) document = StateFileDocument.Stamp(document, schemaVersion.Value, files.Data);
            byte[] bytes = StateFileDocument.Serialize(document, files.Data);
            RequireFolder(files);
            using (TakeLock(files, cancellationToken))
            {
                if (schemaVersion.HasValue)
                {
                    var existing = VersionOfExisting(files);
                    if (existing.HasValue && existing.Value.Major > schemaVersion.Value.Major)
                        throw TooNew(files, existing.Value, schemaVersion.Value.ToString(), "this script writes");
                }
                Write(files, bytes);
            }
        }

        /// <summary>
        /// Read-modify-write under the lock: <paramref name="change"/> maps the current document (null
        /// when the file does not exist) to the new one, which is written before the lock is released
        /// and returned. Both must be JSON objects. With <paramref name="schemaVersion"/>, a file of
        /// another major version is refused untouched and the result carries the newer of the file's
        /// and the given version. A failure in <paramref name="change"/> leaves the file as it was.
        /// </summary>
        public JsonElement Update(string path, Func<JsonElement?, JsonElement> change, SchemaVersion? schemaVersion, CancellationToken cancellationToken)
        {
            if (change == null) throw new ArgumentNullException(nameof(change));
            var files = new StateFilePaths(path);
            RequireFolder(files);
            using (TakeLock(files, cancellationToken))
            {
                var current = Load(files);
                var stamp = schemaVersion;
                if (current.HasValue)
                {
                    StateFileDocument.RequireObject(current.Value, files.Data, "an update changes an object's properties.");
                    if (schemaVersion.HasValue)
                    {
                        var fileVersion = StateFileDocument.VersionOf(current.Value, files.Data);
                        if (fileVersion.Major > schemaVersion.Value.Major) throw TooNew(files, fileVersion, schemaVersion.Value.ToString(), "this script writes");
                        if (fileVersion.Major < schemaVersion.Value.Major) throw new StateMigrationRequiredException(files.Data, fileVersion, schemaVersion.Value);
                        // A newer minor (written by a newer script) keeps its version: minors only add.
                        stamp = SchemaVersion.Max(fileVersion, schemaVersion.Value);
                    }
                }
                var next = change(current);
                StateFileDocument.RequireObject(next, files.Data, "the new document must be an object too.");
                if (stamp.HasValue) next = StateFileDocument.Stamp(next, stamp.Value, files.Data);
                Write(files, StateFileDocument.Serialize(next, files.Data));
                return next;
            }
        }

        /// <summary>
        /// Runs <paramref name="action"/> holding the file's lock, and releases it however the action
        /// ends. The same thread taking the lock again inside is <see cref="StateLockReentrancyException"/>.
        /// </summary>
        public T WithLock<T>(string path, Func<T> action, CancellationToken cancellationToken)
        {
            if (action == null) throw new ArgumentNullException(nameof(action));
            var files = new StateFilePaths(path);
            RequireFolder(files);
            using (TakeLock(files, cancellationToken))
                return action();
        }

        /// <summary>
        /// What <see cref="Migrate"/> would do, without a lock and without writing: the steps run on
        /// the document in memory, so the outcome names the version they lead to.
        /// </summary>
        public MigrationOutcome InspectMigration(string path, StateFileMigration migration)
        {
            var files = new StateFilePaths(path);
            var document = Load(files) ?? throw new StateFileNotFoundException(files.Data);
            var from = Assess(files, document, migration);
            if (from.Need != MigrationNeed.Migrate) return new MigrationOutcome(files.Data, from.Version, from.Version, MigrationAction.UpToDate, null);
            var result = migration.Run(document, from.Version, files.Data);
            return new MigrationOutcome(files.Data, from.Version, result.Version, MigrationAction.NeedsMigration, null);
        }

        /// <summary>
        /// Migrates the file under its lock: the steps run, an exact copy of the original is written
        /// (fsynced) to F.v&lt;old&gt;.bak unless that backup exists, then the result replaces F
        /// atomically. A file from a newer major version, or of a version no step starts from, is
        /// refused untouched, and so is any failure of a step.
        /// </summary>
        public MigrationOutcome Migrate(string path, StateFileMigration migration, CancellationToken cancellationToken)
        {
            var files = new StateFilePaths(path);
            // Checked before locking, so a typo leaves no stray lock file; checked again under it.
            if (!_fs.FileExists(files.Data)) throw new StateFileNotFoundException(files.Data);
            using (TakeLock(files, cancellationToken))
            {
                byte[] original = ReadBytes(files) ?? throw new StateFileNotFoundException(files.Data);
                var document = StateFileDocument.Parse(original, files.Data);
                var from = Assess(files, document, migration);
                if (from.Need != MigrationNeed.Migrate) return new MigrationOutcome(files.Data, from.Version, from.Version, MigrationAction.UpToDate, null);

                var result = migration.Run(document, from.Version, files.Data);
                string backup = files.Backup(from.Version);
                if (!_fs.FileExists(backup))
                {
                    Guard(backup, "write", () => AtomicFile.Write(_fs, backup, original));
                    Trace($"Backed up '{files.Data}' (version {from.Version}) to '{backup}'.");
                }
                Write(files, StateFileDocument.Serialize(result.Document, files.Data));
                return new MigrationOutcome(files.Data, from.Version, result.Version, MigrationAction.Migrated, backup);
            }
        }

        private (SchemaVersion Version, MigrationNeed Need) Assess(StateFilePaths files, JsonElement document, StateFileMigration migration)
        {
            var version = StateFileDocument.VersionOf(document, files.Data);
            var need = migration.Assess(version);
            if (need == MigrationNeed.TooNew) throw TooNew(files, version, migration.Reach, "the migration steps reach");
            if (need == MigrationNeed.Unknown) throw new StateVersionUnknownException(files.Data, version, migration.StepsFrom);
            return (version, need);
        }

        private static StateVersionTooNewException TooNew(StateFilePaths files, SchemaVersion fileVersion, string supported, string what) =>
            new StateVersionTooNewException(files.Data, fileVersion.ToString(), supported,
                $"State file '{files.Data}' has schema version {fileVersion}, a newer major version than {what} ({supported}): a newer version of the script wrote it. The file was not changed.");

        /// <summary>The parsed document, or null when the file does not exist.</summary>
        private JsonElement? Load(StateFilePaths files)
        {
            byte[]? bytes = ReadBytes(files);
            return bytes == null ? (JsonElement?)null : StateFileDocument.Parse(bytes, files.Data);
        }

        private byte[]? ReadBytes(StateFilePaths files)
        {
            if (_fs.DirectoryExists(files.Data))
                throw new StateIOException(files.Data, "read", new IOException("It is a folder, not a file."));
            try
            {
                return _fs.ReadAllBytes(files.Data);
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(files.Data, "read", e);
            }
        }

        /// <summary>The version of the file there now, or null when it is missing or unreadable (a save replaces it anyway).</summary>
        private SchemaVersion? VersionOfExisting(StateFilePaths files)
        {
            try
            {
                var current = Load(files);
                if (current == null || current.Value.ValueKind != JsonValueKind.Object) return null;
                return StateFileDocument.VersionOf(current.Value, files.Data);
            }
            catch (StateFileCorruptException)
            {
                return null;
            }
        }

        private void Write(StateFilePaths files, byte[] bytes)
        {
            var clock = Stopwatch.StartNew();
            Guard(files.Data, "write", () => AtomicFile.Write(_fs, files.Data, bytes));
            Trace($"Wrote '{files.Data}' ({bytes.Length} bytes, fsynced) in {clock.Elapsed.TotalMilliseconds:0.0} ms.");
        }

        /// <summary>Like Set-Content, a save does not create folders: a typo in a path must not grow a tree.</summary>
        private void RequireFolder(StateFilePaths files)
        {
            if (!_fs.DirectoryExists(files.Directory))
                throw new StateIOException(files.Data, "write", new DirectoryNotFoundException($"The folder '{files.Directory}' does not exist."));
        }

        private ILockHandle TakeLock(StateFilePaths files, CancellationToken cancellationToken)
        {
            var held = Guard(files.Lock, "lock", () => _fs.AcquireLock(files.Lock, Options.LockTimeout, cancellationToken));
            Trace($"Locked '{files.Lock}' after {held.Waited.TotalMilliseconds:0.0} ms.");
            return held;
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
    }
}
