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
    /// processes never lose an update. A path through symbolic links means the file they lead to:
    /// that file is replaced (keeping its permission bits) and its lock is taken.
    /// </summary>
    internal sealed class StateFileStore
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
        /// own reading of it cannot hold (an <see cref="StateProblemKind.UnsupportedContent"/>).
        /// </summary>
        public System.Collections.Generic.IReadOnlyList<StateProblem> Inspect(string path, Func<JsonElement, string?>? content = null)
        {
            var files = Locate(path);
            var problems = new System.Collections.Generic.List<StateProblem>();
            try
            {
                var document = Read(path);
                if (StateFileDocument.HasVersion(document))
                    StateFileDocument.VersionOf(document, files.Data);
                string? unsupported = content?.Invoke(document);
                if (unsupported != null)
                    problems.Add(new StateProblem(null, StateProblemKind.UnsupportedContent, files.Data, null, unsupported));
            }
            catch (StateFileCorruptException e)
            {
                var kind = e.Kind == CorruptionKind.Unparsable ? StateProblemKind.ParseError : StateProblemKind.SchemaViolation;
                problems.Add(new StateProblem(null, kind, files.Data, e.Offset, e.Problem));
            }
            catch (InvalidStateDocumentException e)
            {
                problems.Add(new StateProblem(null, StateProblemKind.SchemaViolation, files.Data, null, e.Message));
            }
            foreach (string name in _fs.ListFiles(files.Directory, "*"))
            {
                if (AuxiliaryFiles.IsTempNameOf(name, files.FileName))
                    problems.Add(new StateProblem(null, StateProblemKind.OrphanTempFile, Path.Combine(files.Directory, name), null,
                        "a temporary file of an interrupted write (the write never replaced the real file)."));
            }
            if (!_fs.FileExists(files.Lock))
                problems.Add(new StateProblem(null, StateProblemKind.MissingLockFile, files.Lock, null, "the lock file is missing; the next write creates it."));
            return problems;
        }

        /// <summary>The whole document, without a lock. A missing file is <see cref="StateFileNotFoundException"/>.</summary>
        public JsonElement Read(string path)
        {
            var files = Locate(path);
            return Load(files) ?? throw new StateFileNotFoundException(files.Data);
        }

        /// <summary>
        /// Replaces the file with <paramref name="document"/>. With <paramref name="schemaVersion"/>
        /// the document (an object) gets that schemaVersion, and a file from a newer major version
        /// is refused untouched; the old content is otherwise not read (it may even be damaged).
        /// </summary>
        public void Save(string path, JsonElement document, SchemaVersion? schemaVersion, CancellationToken cancellationToken)
        {
            var files = Locate(path);
            if (schemaVersion.HasValue) document = StateFileDocument.Stamp(document, schemaVersion.Value, files.Data);
            byte[] bytes = StateFileDocument.Serialize(document, files.Data);
            RequireFolder(files);
            using (TakeLock(files, cancellationToken))
            {
                RequireWritable(files);
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
            var files = Locate(path);
            RequireFolder(files);
            using (TakeLock(files, cancellationToken))
            {
                RequireWritable(files);
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
            var files = Locate(path);
            RequireFolder(files);
            using (TakeLock(files, cancellationToken))
                return action();
        }

        /// <summary>
        /// What <see cref="Migrate"/> would do, without a lock and without writing: the steps run on
        /// the document in memory, so the plan names the version they lead to, the backup the
        /// original would go to, and what would change in the document.
        /// </summary>
        public StateFileMigrationPlan InspectMigration(string path, StateFileMigration migration)
        {
            var files = Locate(path);
            byte[] original = ReadBytes(files) ?? throw new StateFileNotFoundException(files.Data);
            var document = StateFileDocument.Parse(original, files.Data);
            var from = Assess(files, document, migration);
            if (from.Need != MigrationNeed.Migrate) return new StateFileMigrationPlan(files.Data, from.Version, from.Version, null, null);
            var result = migration.Run(document, from.Version, files.Data);
            // schemaVersion is left out: the plan's two versions say how it changes.
            var changes = StateFileChanges.Between(document, result.Document, SchemaMigrator.VersionProperty);
            return new StateFileMigrationPlan(files.Data, from.Version, result.Version, BackupFor(files, from.Version, original), changes);
        }

        /// <summary>
        /// Migrates the file under its lock: the steps run, an exact copy of the original is written
        /// (fsynced) to F.v&lt;old&gt;.bak, or to a new F.v&lt;old&gt;.&lt;time&gt;.bak when that name
        /// holds another original, then the result replaces F atomically. A file from a newer major
        /// version, or of a version no step starts from, is refused untouched, and so is any
        /// failure of a step.
        /// </summary>
        public MigrationOutcome Migrate(string path, StateFileMigration migration, CancellationToken cancellationToken)
        {
            var files = Locate(path);
            // Checked before locking, so a typo leaves no stray lock file; checked again under it.
            if (!_fs.FileExists(files.Data)) throw new StateFileNotFoundException(files.Data);
            using (TakeLock(files, cancellationToken))
            {
                RequireWritable(files);
                byte[] original = ReadBytes(files) ?? throw new StateFileNotFoundException(files.Data);
                var document = StateFileDocument.Parse(original, files.Data);
                var from = Assess(files, document, migration);
                if (from.Need != MigrationNeed.Migrate) return new MigrationOutcome(files.Data, from.Version, from.Version, MigrationAction.UpToDate, null);

                var result = migration.Run(document, from.Version, files.Data);
                string backup = BackupFor(files, from.Version, original);
                if (_fs.FileExists(backup))
                {
                    Trace($"'{backup}' already holds this original of '{files.Data}' (version {from.Version}).");
                }
                else
                {
                    Guard(backup, "write", () => AtomicFile.Write(_fs, backup, original));
                    Trace($"Backed up '{files.Data}' (version {from.Version}) to '{backup}'.");
                }
                Write(files, StateFileDocument.Serialize(result.Document, files.Data));
                return new MigrationOutcome(files.Data, from.Version, result.Version, MigrationAction.Migrated, backup);
            }
        }

        /// <summary>
        /// Where the original of a migration from <paramref name="version"/> goes: F.v&lt;old&gt;.bak
        /// when it is free or already holds these very bytes; otherwise a new name with the time in
        /// it, so the original of an earlier migration from the same version is never lost.
        /// </summary>
        private string BackupFor(StateFilePaths files, SchemaVersion version, byte[] original) =>
            MigrationBackup.Choose(_fs, files.Data, version, original, Options.UtcNow());

        /// <summary>
        /// The paths of a state file, refusing one that names a folder (checked before any lock is
        /// taken, so no stray F.lock appears next to the folder).
        /// </summary>
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
            // Checked again: the folder may have appeared since Paths() looked.
            if (_fs.DirectoryExists(files.Data)) throw new StateFileIsFolderException(files.Data);
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
            Guard(files.Data, "write", () => AtomicFile.Write(_fs, files.Data, bytes, keepPermissions: true));
            Trace($"Wrote '{files.Data}' ({bytes.Length} bytes, fsynced) in {clock.Elapsed.TotalMilliseconds:0.0} ms.");
        }

        /// <summary>
        /// The files <paramref name="path"/> stands for, through symbolic links: replacing a link would
        /// turn it into a file of its own, and a lock next to it would not exclude writers using the
        /// target's path. A link to nothing is refused, creating nothing.
        /// </summary>
        private StateFilePaths Locate(string path)
        {
            var given = new StateFilePaths(path);
            string target;
            try
            {
                target = _fs.ResolveLinks(given.Data);
            }
            catch (FileNotFoundException e)
            {
                throw new StateFileNotFoundException(given.Data, e.FileName);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(given.Data, "follow the links of", e);
            }
            if (_fs.DirectoryExists(target)) throw new StateFileIsFolderException(given.Data);
            if (target == given.Data) return given;
            if (string.IsNullOrEmpty(Path.GetFileName(target)))
                throw new StateFileIsFolderException(given.Data);
            Trace($"'{given.Data}' leads to '{target}'.");
            return new StateFilePaths(target);
        }

        /// <summary>
        /// Like Set-Content, a read-only file is refused. The bits are checked here: the rename needs
        /// only the folder's permission, and root passes every check anyway.
        /// </summary>
        private void RequireWritable(StateFilePaths files)
        {
            if (Guard(files.Data, "write", () => _fs.IsReadOnly(files.Data)))
                throw new StateIOException(files.Data, "write", new UnauthorizedAccessException("the file is read-only (no write permission for this user). It was not changed."));
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
            try
            {
                Trace($"Locked '{files.Lock}' after {held.Waited.TotalMilliseconds:0.0} ms.");
            }
            catch
            {
                // Not returned, never disposed: the lock would stay held by this process for good.
                held.Dispose();
                throw;
            }
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
