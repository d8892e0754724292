using System;

namespace StateCmdlets.Core.Batches
{
    /// <summary>One clearing of a batch's context budget: when, and how many tokens it had reached.</summary>
    public sealed class ContextClear
    {
        public ContextClear(DateTime at, long tokensBefore)
        {
            At = at;
            TokensBefore = tokensBefore;
        }

        public DateTime At { get; }

        public long TokensBefore { get; }
    }
}
