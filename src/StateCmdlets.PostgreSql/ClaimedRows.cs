using System;
using System.Collections.Concurrent;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// The item rows this process's claims took, as the claiming UPDATE returned them, with the
    /// batch row read in the same transaction. A result that names one of these claims' tokens is
    /// prepared against the row as claimed and written at once: the write's WHERE (status, attempts,
    /// token, and the batch being the same one) is the fencing check, so a row that changed since
    /// makes it write nothing, and the store reads the row and decides again. One statement per
    /// result instead of a read and a write.
    /// </summary>
    internal static class ClaimedRows
    {
        // Enough for every claim a process holds; past it, start again (a miss only costs a read).
        private const int Most = 100_000;

        private static readonly ConcurrentDictionary<(string Address, string Feature), (BatchRow Batch, Feature Row)> Rows =
            new ConcurrentDictionary<(string, string), (BatchRow, Feature)>();

        internal static void Remember(string address, BatchRow batch, Feature row)
        {
            if (Rows.Count >= Most) Rows.Clear();
            Rows[(address, row.Name)] = (batch, row.Clone());
        }

        /// <summary>The row as this process claimed it with <paramref name="token"/>, taken out (it is used once); false when there is none.</summary>
        internal static bool TryTake(string address, string feature, long? token, out BatchRow batch, out Feature row)
        {
            batch = null!;
            row = null!;
            if (token == null || !Rows.TryRemove((address, feature), out var found)) return false;
            if (found.Row.ClaimToken != token.Value) return false;
            batch = found.Batch;
            row = found.Row;
            return true;
        }

    }
}
