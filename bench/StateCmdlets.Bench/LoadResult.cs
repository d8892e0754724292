namespace StateCmdlets.Bench
{
    /// <summary>One way of loading the long-journal batch, and what it cost.</summary>
    internal sealed class LoadResult
    {
        internal LoadResult(string how, double milliseconds, int remaining)
        {
            How = how;
            Milliseconds = milliseconds;
            Remaining = remaining;
        }

        internal string How { get; }

        internal double Milliseconds { get; }

        /// <summary>Features Remaining(includeFailed: true) gave: a check that the load was whole.</summary>
        internal int Remaining { get; }
    }
}
