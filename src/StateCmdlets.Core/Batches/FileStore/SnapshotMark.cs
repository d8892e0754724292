namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// Which journal a snapshot goes with: the journal's generation, and the sequence number of the
    /// last record the snapshot already holds. A snapshot without a generation has no journal.
    /// </summary>
    internal readonly struct SnapshotMark
    {
        internal SnapshotMark(string? generation, long sequence)
        {
            Generation = generation;
            Sequence = sequence;
        }

        internal string? Generation { get; }

        internal long Sequence { get; }
    }
}
