using System;

namespace StateCmdlets.Core
{
    /// <summary>
    /// Base of every failure the core reports on purpose. <see cref="ErrorId"/> is stable: scripts
    /// and the cmdlet layer key on it. <see cref="Path"/> names the file concerned, when there is one.
    /// </summary>
    public abstract class StateException : Exception
    {
        protected StateException(string errorId, StateErrorCategory category, string message, string? path, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Category = category;
            Path = path;
        }

        public string ErrorId { get; }

        public StateErrorCategory Category { get; }

        public string? Path { get; }
    }

    public sealed class BatchNotFoundException : StateException
    {
        public BatchNotFoundException(string batchId, string path)
            : base(StateErrorIds.BatchNotFound, StateErrorCategory.ObjectNotFound, $"No batch '{batchId}' in '{System.IO.Path.GetDirectoryName(path)}' (looked for '{path}').", path)
        {
            BatchId = batchId;
        }

        /// <summary>With the store's own words for where it looked (a database has no folder).</summary>
        public BatchNotFoundException(string batchId, string path, string message)
            : base(StateErrorIds.BatchNotFound, StateErrorCategory.ObjectNotFound, message, path)
        {
            BatchId = batchId;
        }

        public string BatchId { get; }
    }

    public sealed class BatchAlreadyExistsException : StateException
    {
        public BatchAlreadyExistsException(string batchId, string path)
            : base(StateErrorIds.BatchAlreadyExists, StateErrorCategory.ResourceExists, $"A batch '{batchId}' already exists at '{path}'. Use another id, or -Force to replace it.", path)
        {
            BatchId = batchId;
        }

        public BatchAlreadyExistsException(string batchId, string path, string message)
            : base(StateErrorIds.BatchAlreadyExists, StateErrorCategory.ResourceExists, message, path)
        {
            BatchId = batchId;
        }

        public string BatchId { get; }
    }

    /// <summary>
    /// A batch found by its name (Invoke-Batch -Name) whose id is taken by a batch of another name:
    /// two batches may not share a name through it, nor one id serve two names.
    /// </summary>
    public sealed class BatchNameConflictException : StateException
    {
        public BatchNameConflictException(string batchId, string name, string existingName, string path)
            : base(StateErrorIds.BatchNameConflict, StateErrorCategory.ResourceExists,
                $"The batch '{batchId}' at '{path}' is named '{existingName}', not '{name}': a batch is found by its name, and this id belongs to another one. Give another -Name, or the id of the batch you mean with -BatchId.", path)
        {
            BatchId = batchId;
            Name = name;
            ExistingName = existingName;
        }

        public string BatchId { get; }

        /// <summary>The name asked for.</summary>
        public string Name { get; }

        /// <summary>The name of the batch that has the id.</summary>
        public string ExistingName { get; }
    }

    /// <summary>Several batches (made by New-BatchState, say) have the name a run asks for: which one is meant is the user's to say.</summary>
    public sealed class AmbiguousBatchNameException : StateException
    {
        public AmbiguousBatchNameException(string name, System.Collections.Generic.IReadOnlyList<string> batchIds, string directory)
            : base(StateErrorIds.AmbiguousBatchName, StateErrorCategory.InvalidArgument,
                $"{batchIds.Count} batches in '{directory}' are named '{name}' ({string.Join(", ", batchIds)}): say which one with -BatchId.", directory)
        {
            Name = name;
            BatchIds = batchIds;
        }

        public string Name { get; }

        public System.Collections.Generic.IReadOnlyList<string> BatchIds { get; }
    }

    public sealed class FeatureNotFoundException : StateException
    {
        public FeatureNotFoundException(string batchId, string feature, string path)
            : base(StateErrorIds.FeatureNotFound, StateErrorCategory.ObjectNotFound, $"Batch '{batchId}' has no feature '{feature}' (file '{path}'). Feature names are case-sensitive.", path)
        {
            BatchId = batchId;
            Feature = feature;
        }

        public string BatchId { get; }

        public string Feature { get; }
    }

    public sealed class InvalidBatchIdException : StateException
    {
        public InvalidBatchIdException(string batchId)
            : base(StateErrorIds.InvalidBatchId, StateErrorCategory.InvalidArgument, $"'{batchId}' is not a valid batch id: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit.", null)
        {
            BatchId = batchId;
        }

        public string BatchId { get; }
    }

    /// <summary>A batch definition the store refuses: bad or duplicate feature names, bad settings.</summary>
    public sealed class InvalidBatchDefinitionException : StateException
    {
        public InvalidBatchDefinitionException(string errorId, string message)
            : base(errorId, StateErrorCategory.InvalidArgument, message, null)
        {
        }
    }

    /// <summary>A result that cannot be recorded, such as the status Pending.</summary>
    public sealed class InvalidFeatureResultException : StateException
    {
        public InvalidFeatureResultException(string message)
            : base(StateErrorIds.InvalidFeatureResult, StateErrorCategory.InvalidArgument, message, null)
        {
        }
    }

    /// <summary>
    /// A result for a feature whose claim was lost: its lease ran out and another worker claimed it
    /// since, or it was finished meanwhile. Nothing was recorded.
    /// </summary>
    public sealed class ClaimLostException : StateException
    {
        /// <param name="finishedAs">The status the feature was finished with meanwhile (Completed, Skipped), or null when another worker claimed it.</param>
        public ClaimLostException(string batchId, string feature, long token, string? finishedAs, string? holder, long currentToken, DateTime? lostAt, string path)
            : base(StateErrorIds.ClaimLost, StateErrorCategory.InvalidOperation, Describe(batchId, feature, token, finishedAs, holder, currentToken, lostAt), path)
        {
            BatchId = batchId;
            Feature = feature;
            Token = token;
            Holder = holder;
            LostAt = lostAt;
        }

        public string BatchId { get; }

        public string Feature { get; }

        /// <summary>The token the result came with.</summary>
        public long Token { get; }

        /// <summary>The worker that holds the feature now (host/process id/session), if any.</summary>
        public string? Holder { get; }

        /// <summary>When the claim was lost: when another worker claimed the feature, or when it was finished.</summary>
        public DateTime? LostAt { get; }

        private static string Describe(string batchId, string feature, long token, string? finishedAs, string? holder, long currentToken, DateTime? lostAt)
        {
            string when = lostAt.HasValue ? " at " + lostAt.Value.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : string.Empty;
            string why = finishedAs != null
                ? $"it was finished ({finishedAs}){when}"
                : holder != null
                    ? $"its lease ran out and {holder} claimed it{when} (token {currentToken})"
                    : $"its lease ran out and another worker claimed it{when} (token {currentToken}), and has let it go since";
            return $"The claim on '{feature}' of batch '{batchId}' (token {token}) was lost: {why}. Nothing was recorded.";
        }
    }

    /// <summary>A failure recorded for a feature that is Completed: a finished item is never made unfinished.</summary>
    public sealed class FeatureAlreadyCompletedException : StateException
    {
        public FeatureAlreadyCompletedException(string batchId, string feature, DateTime? completedAt, string path)
            : base(StateErrorIds.FeatureAlreadyCompleted, StateErrorCategory.InvalidOperation,
                $"'{feature}' of batch '{batchId}' is Completed" + (completedAt.HasValue ? " (" + completedAt.Value.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) + ")" : string.Empty) +
                ": a failure recorded now (a late run, an overlapping worker) would make finished work look unfinished. Nothing was recorded; the circuit breaker did not count it.", path)
        {
            BatchId = batchId;
            Feature = feature;
        }

        public string BatchId { get; }

        public string Feature { get; }
    }

    public sealed class StateLockTimeoutException : StateException
    {
        public StateLockTimeoutException(string path, TimeSpan timeout, string? holder)
            : base(StateErrorIds.StateLockTimeout, StateErrorCategory.OperationTimeout,
                $"Timed out after {timeout.TotalSeconds:0.###} s waiting for the lock '{path}'" +
                (string.IsNullOrEmpty(holder) ? " (the holder did not say who it is: another program, or a StateCmdlets process that is still starting)." : $", held by {holder}."), path)
        {
            Holder = holder;
        }

        public string? Holder { get; }
    }

    /// <summary>The calling thread already holds this lock: waiting would deadlock forever.</summary>
    public sealed class StateLockReentrancyException : StateException
    {
        public StateLockReentrancyException(string path)
            : base(StateErrorIds.StateLockReentrant, StateErrorCategory.DeadlockDetected, $"This thread already holds the lock '{path}'; taking it again would deadlock. Do not nest state operations on the same file inside one another.", path)
        {
        }
    }

    public sealed class StateFileCorruptException : StateException
    {
        public StateFileCorruptException(string path, long? offset, string problem, Exception? inner = null)
            : this(path, offset, problem, CorruptionKind.Invalid, inner)
        {
        }

        public StateFileCorruptException(string path, long? offset, string problem, CorruptionKind kind, Exception? inner = null)
            : base(kind == CorruptionKind.NotABatch ? StateErrorIds.NotABatchFile : StateErrorIds.StateFileCorrupt, StateErrorCategory.InvalidData,
                kind == CorruptionKind.NotABatch ? $"'{path}' is not a batch: {problem} The file was left as it is."
                    : $"State file '{path}' is damaged" + (offset.HasValue ? $" at byte {offset.Value}" : string.Empty) + $": {problem} The file was left as it is.",
                path, inner)
        {
            Offset = offset;
            Problem = problem;
            Kind = kind;
        }

        public CorruptionKind Kind { get; }

        public long? Offset { get; }

        public string Problem { get; }
    }

    /// <summary>The state directory cannot hold batches: a file has its name.</summary>
    public sealed class StateDirectoryNotFoundException : StateException
    {
        public StateDirectoryNotFoundException(string directory, string message)
            : base(StateErrorIds.StateDirectoryNotFound, StateErrorCategory.ObjectNotFound, message, directory)
        {
        }
    }

    public sealed class StateVersionTooNewException : StateException
    {
        public StateVersionTooNewException(string path, string fileVersion, string supportedVersion)
            : base(StateErrorIds.StateVersionTooNew, StateErrorCategory.InvalidData,
                $"State file '{path}' has schema version {fileVersion}, newer than this module understands ({supportedVersion}). Update StateCmdlets; the file was not changed.",
                path)
        {
            FileVersion = fileVersion;
            SupportedVersion = supportedVersion;
        }

        /// <summary>With the caller's own message: for state files, whose versions the user's script defines.</summary>
        public StateVersionTooNewException(string path, string fileVersion, string supportedVersion, string message)
            : base(StateErrorIds.StateVersionTooNew, StateErrorCategory.InvalidData, message, path)
        {
            FileVersion = fileVersion;
            SupportedVersion = supportedVersion;
        }

        public string FileVersion { get; }

        public string SupportedVersion { get; }
    }

    /// <summary>
    /// A store that cannot be reached or used now (a database server down, refusing the login, or
    /// still failing after retries for the lock timeout). The message names the store's location,
    /// never a password.
    /// </summary>
    public sealed class StateStoreUnavailableException : StateException
    {
        public StateStoreUnavailableException(string location, string reason, Exception? inner = null)
            : base(StateErrorIds.StateStoreUnavailable, StateErrorCategory.ResourceUnavailable, $"The state store {location} cannot be used: {reason}", location, inner)
        {
            Location = location;
            Reason = reason;
        }

        /// <summary>The store, as its Location names it (host, port, database; no password).</summary>
        public string Location { get; }

        public string Reason { get; }
    }

    /// <summary>
    /// A store this host cannot use: a PostgreSQL store on Windows PowerShell 5.1 (Npgsql needs
    /// .NET 8, so PowerShell 7.4 or later). The file store keeps working there.
    /// </summary>
    public sealed class StateStoreNotSupportedException : StateException
    {
        public StateStoreNotSupportedException(string message)
            : base(StateErrorIds.StateStoreNotSupported, StateErrorCategory.InvalidOperation, message, null)
        {
        }
    }

    /// <summary>
    /// Text that names no store this module can use: a malformed connection string or URI, a schema
    /// name it does not take. The message names the problem, never the text (it may hold a password).
    /// </summary>
    public sealed class InvalidStoreException : StateException
    {
        public InvalidStoreException(string message, Exception? inner = null)
            : base(StateErrorIds.InvalidStore, StateErrorCategory.InvalidArgument, message, null, inner)
        {
        }
    }

    /// <summary>A file to read (a state file, or a batch file to import) that does not exist.</summary>
    public sealed class StateFileNotFoundException : StateException
    {
        public StateFileNotFoundException(string path)
            : base(StateErrorIds.StateFileNotFound, StateErrorCategory.ObjectNotFound, $"State file '{path}' does not exist.", path)
        {
        }

        /// <summary>A symbolic link to nothing: refused rather than replaced by a file of its own.</summary>
        public StateFileNotFoundException(string path, string? missingTarget)
            : base(StateErrorIds.StateFileNotFound, StateErrorCategory.ObjectNotFound,
                $"State file '{path}' is a symbolic link to {(missingTarget == null ? "a file" : "'" + missingTarget + "'")}, which does not exist. Nothing was created or changed.",
                path)
        {
            MissingTarget = missingTarget;
        }

        /// <summary>Where a dangling link points, when known.</summary>
        public string? MissingTarget { get; }
    }

    /// <summary>An operating-system failure reading or writing a state file, with the file named.</summary>
    public sealed class StateIOException : StateException
    {
        public StateIOException(string path, string operation, Exception inner)
            : base(inner is UnauthorizedAccessException ? StateErrorIds.StateFileAccessDenied : StateErrorIds.StateFileIOError,
                inner is UnauthorizedAccessException ? StateErrorCategory.PermissionDenied : StateErrorCategory.WriteError,
                $"Could not {operation} '{path}': {inner.Message}", path, inner)
        {
        }
    }
}
