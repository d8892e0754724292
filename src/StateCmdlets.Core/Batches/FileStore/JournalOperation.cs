namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>What a journal record does.</summary>
    internal enum JournalOperation
    {
        Result,
        ResetBreaker,
        ResetContext,

        /// <summary>Features claimed by a worker, each with its fencing token, until a lease expiry.</summary>
        Claim,

        /// <summary>A heartbeat: the worker's claims that still hold, held until a later expiry.</summary>
        Renew,

        /// <summary>The worker's claims on some features ended without a result.</summary>
        Release,
    }
}
