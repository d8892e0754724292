namespace StateCmdlets.Core.Batches
{
    /// <summary>Where a batch stands; always derived from its features, never stored.</summary>
    public enum BatchStatus
    {
        /// <summary>No result recorded yet.</summary>
        Pending,

        /// <summary>Some results recorded, work left to do.</summary>
        Running,

        /// <summary>Every feature completed or skipped.</summary>
        Completed,

        /// <summary>Nothing left to do, but some features failed for good.</summary>
        CompletedWithFailures,

        /// <summary>Too many failures in a row: nothing is handed out until Resume-BatchState -Reset or a success.</summary>
        Suspended,
    }
}
