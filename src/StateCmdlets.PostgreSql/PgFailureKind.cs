namespace StateCmdlets.PostgreSql
{
    /// <summary>What a failure talking to the database means for the operation that met it.</summary>
    internal enum PgFailureKind
    {
        /// <summary>Not a database failure of ours to handle: let it through as it is.</summary>
        Other,

        /// <summary>Try again after a pause: the server restarts, refuses connections, or aborted a transaction that may succeed next time.</summary>
        Transient,

        /// <summary>Trying again cannot help: the login is refused, the host or database does not exist, permission is denied.</summary>
        Unavailable,

        /// <summary>A row or advisory lock was not granted within the lock timeout.</summary>
        LockTimeout,

        /// <summary>The module's schema or one of its tables is gone (dropped while this process ran).</summary>
        SchemaMissing,
    }
}
