using System.Collections.Generic;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>What a damaged journal still holds, for Repair-BatchState.</summary>
    internal sealed class JournalSalvage
    {
        internal JournalSalvage(bool headerRead, string? batchId, string? generation, List<JournalRecord> records, List<long> damaged)
        {
            HeaderRead = headerRead;
            BatchId = batchId;
            Generation = generation;
            Records = records;
            Damaged = damaged;
        }

        /// <summary>Whether the first line is a readable journal header.</summary>
        internal bool HeaderRead { get; }

        /// <summary>The batch the header names (another batch's journal must not be applied).</summary>
        internal string? BatchId { get; }

        internal string? Generation { get; }

        /// <summary>Every record that reads, in file order.</summary>
        internal List<JournalRecord> Records { get; }

        /// <summary>Offsets of the lines that do not read (zeros allocated ahead are not counted).</summary>
        internal List<long> Damaged { get; }
    }
}
