namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>What a journal record does.</summary>
    internal enum JournalOperation
    {
        Result,
        ResetBreaker,
        ResetContext,
    }
}
