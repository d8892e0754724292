using System.Linq;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;

namespace StateCmdlets
{
    /// <summary>
    /// What replacing a batch (New-BatchState -Force, Import-BatchState -Force) would wipe. Replacing
    /// recorded work is ConfirmImpact High; replacing a batch nothing was recorded in is not.
    /// </summary>
    internal static class ReplacedWork
    {
        /// <summary>The recorded work a batch with this id holds, in words, or null when it holds none.</summary>
        internal static string? Describe(IBatchStore store, string batchId)
        {
            try
            {
                if (!store.Exists(batchId))
                    return store.ListBatchIdsToInspect().Contains(batchId) ? "whose journal or backup may hold results" : null;
                int results = store.Load(batchId).Features.Sum(f => f.Attempts);
                return results == 0 ? null : results == 1 ? "1 recorded result" : $"{results} recorded results";
            }
            catch (StateException e) when (e is StateFileCorruptException || e is StateVersionTooNewException)
            {
                // Damaged, or from a newer version: it may hold results, so ask.
                return "which cannot be read and may hold results";
            }
            catch (StateException)
            {
                return null; // nothing to replace (a bad id, a state directory that is a file): creating it reports the error
            }
        }
    }
}
