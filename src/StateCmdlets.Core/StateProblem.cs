namespace StateCmdlets.Core
{
    /// <summary>One thing wrong with a batch's files, as Test-BatchState reports it.</summary>
    public sealed class StateProblem
    {
        public StateProblem(string? batchId, StateProblemKind kind, string path, long? offset, string message)
        {
            BatchId = batchId;
            Kind = kind;
            Path = path;
            Offset = offset;
            Message = message;
        }

        /// <summary>The batch concerned; null for a state file (Test-StateFile).</summary>
        public string? BatchId { get; }

        public StateProblemKind Kind { get; }

        /// <summary>The file concerned.</summary>
        public string Path { get; }

        /// <summary>Byte offset of the damage, when known.</summary>
        public long? Offset { get; }

        public string Message { get; }

        public override string ToString() => $"{Kind}: {Message}";
    }

    public enum StateProblemKind
    {
        /// <summary>The snapshot is not JSON (or is empty).</summary>
        ParseError,

        /// <summary>The snapshot is JSON but not a valid batch.</summary>
        SchemaViolation,

        /// <summary>Written by a newer major version of StateCmdlets.</summary>
        VersionTooNew,

        /// <summary>A journal record is damaged in the middle, or does not fit the batch.</summary>
        JournalDamage,

        /// <summary>The journal ends in a torn write (a crash mid-write): harmless, cleared by the next write.</summary>
        TornJournalWrite,

        /// <summary>A temporary file of an interrupted write is left over.</summary>
        OrphanTempFile,

        /// <summary>The lock file is missing (it is created by the next write).</summary>
        MissingLockFile,

        /// <summary>Files of the batch exist but its snapshot does not.</summary>
        MissingSnapshot,

        /// <summary>The backup copy of the snapshot (B.json.bak) does not read: the batch is fine, but a repair would have less to go on.</summary>
        DamagedBackup,

        /// <summary>A state file is JSON, but holds what PowerShell objects cannot (an empty or reserved property name, a lone surrogate).</summary>
        UnsupportedContent,

        /// <summary>A JSON file in the state directory is not a batch at all (another program's file): listings skip it.</summary>
        NotABatch,
    }
}
