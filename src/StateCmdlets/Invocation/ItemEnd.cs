namespace StateCmdlets.Invocation
{
    /// <summary>How one run of an item's script block ended.</summary>
    internal enum ItemEnd
    {
        /// <summary>No terminating error: the item is Completed.</summary>
        Completed,

        /// <summary>A terminating error (or an error under -ErrorAction Stop): the item is Failed.</summary>
        Failed,

        /// <summary>It ran past -TimeoutSeconds and was stopped: the item is Failed (TimedOut).</summary>
        TimedOut,

        /// <summary>Its claim was lost to another worker and it was stopped: nothing is recorded.</summary>
        ClaimLost,

        /// <summary>Stopped with the run (Ctrl+C, the pipeline ending early): its claim is released.</summary>
        Stopped,
    }
}
