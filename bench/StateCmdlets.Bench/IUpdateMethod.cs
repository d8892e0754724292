using System;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// One way of durably recording results, driven one update at a time so several methods can be
    /// interleaved in slices and share whatever state the disk is in at the moment.
    /// </summary>
    internal interface IUpdateMethod : IDisposable
    {
        string Name { get; }

        int BatchSize { get; }

        /// <summary>How many updates the run times.</summary>
        int Updates { get; }

        /// <summary>Untimed: creates the batch (file, store, table) in its start state.</summary>
        void Prepare();

        /// <summary>The <paramref name="index"/>-th update, durable on return. True when it also compacted (rewrote a snapshot).</summary>
        bool Update(int index);

        /// <summary>Untimed: throws unless every update is there; then removes the method's files.</summary>
        void VerifyAndClean();
    }
}
