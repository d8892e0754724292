namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// One try of an operation, as <see cref="PgRetry"/> hands it to the operation: which try it is,
    /// and whether an earlier one may have committed without hearing so (the connection was lost
    /// after the commit was sent). An operation that writes checks its own request id first then,
    /// instead of sending the same change again.
    /// </summary>
    internal sealed class PgAttempt
    {
        internal int Number { get; set; }

        /// <summary>An earlier try may have committed: look for its request id before writing.</summary>
        internal bool OutcomeUnknown { get; set; }

        /// <summary>This try sent (or is sending) its commit: a lost connection now leaves the outcome unknown.</summary>
        internal bool Committing { get; private set; }

        /// <summary>Call right before the commit, or before a statement that commits on its own.</summary>
        internal void BeforeCommit() => Committing = true;

        internal void Reset() => Committing = false;
    }
}
