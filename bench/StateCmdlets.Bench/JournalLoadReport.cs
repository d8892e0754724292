using System;
using System.Collections.Generic;

namespace StateCmdlets.Bench
{
    /// <summary>The long-journal batch and the ways it was loaded.</summary>
    internal sealed class JournalLoadReport
    {
        internal JournalLoadReport(int batchSize, long snapshotBytes, long journalBytes, int journalRecords, TimeSpan setup, IReadOnlyList<LoadResult> results)
        {
            BatchSize = batchSize;
            SnapshotBytes = snapshotBytes;
            JournalBytes = journalBytes;
            JournalRecords = journalRecords;
            Setup = setup;
            Results = results;
        }

        internal int BatchSize { get; }

        internal long SnapshotBytes { get; }

        internal long JournalBytes { get; }

        internal int JournalRecords { get; }

        /// <summary>Creating the batch and recording every result without fsync: the core's CPU and syscall cost alone.</summary>
        internal TimeSpan Setup { get; }

        internal IReadOnlyList<LoadResult> Results { get; }
    }
}
