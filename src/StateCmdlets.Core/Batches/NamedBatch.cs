using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// The batch a run names (Invoke-Batch -Name, or -BatchId): found, or made on the first run, so
    /// the same line can run again and again. Its id is <see cref="BatchId.FromName"/> of the name,
    /// unless a batch made otherwise (New-BatchState) already has that name; an id taken by a batch
    /// of another name, or a name several batches share, is an error rather than a guess.
    /// </summary>
    internal sealed class NamedBatch
    {
        private NamedBatch(string batchId, string name, Batch? existing)
        {
            BatchId = batchId;
            Name = name;
            Existing = existing;
        }

        public string BatchId { get; }

        /// <summary>The batch's name: the one asked for, or the batch's own when only an id was given.</summary>
        public string Name { get; private set; }

        /// <summary>The batch as it stood when found; null when it does not exist yet.</summary>
        public Batch? Existing { get; private set; }

        /// <summary>
        /// Finds the batch, writing nothing: by <paramref name="batchId"/> when given (its name must
        /// then be <paramref name="name"/>, when that is given too), else by the id derived from the
        /// name, else by the one batch of the store that has that name.
        /// </summary>
        public static NamedBatch Find(IBatchStore store, string? name, string? batchId)
        {
            if (name == null && batchId == null) throw new ArgumentException("A batch is found by its name, its id, or both.");
            if (batchId != null)
            {
                Batches.BatchId.Validate(batchId);
                var byId = LoadIfExists(store, batchId);
                if (byId != null && name != null) CheckName(store, byId, name);
                return new NamedBatch(batchId, name ?? byId?.Name ?? batchId, byId);
            }
            string derived = Batches.BatchId.FromName(name!);
            var batch = LoadIfExists(store, derived);
            if (batch != null)
            {
                CheckName(store, batch, name!);
                return new NamedBatch(derived, name!, batch);
            }
            var named = WithName(store, name!);
            if (named.Count > 1) throw new AmbiguousBatchNameException(name!, named.Select(b => b.BatchId).ToList(), store.Location);
            return named.Count == 1 ? new NamedBatch(named[0].BatchId, name!, named[0]) : new NamedBatch(derived, name!, null);
        }

        /// <summary>
        /// Makes the batch when it does not exist (with <paramref name="definition"/>'s features and
        /// settings), else adds the features it does not have yet, at its end. Another run making it
        /// at the same moment is no error: its batch is the one. Returns how many features are new.
        /// </summary>
        public int Open(IBatchStore store, BatchDefinition definition, CancellationToken cancellationToken)
        {
            if (Existing == null)
            {
                var named = new BatchDefinition(Name, definition.Features) { BatchId = BatchId, Settings = definition.Settings, Dependencies = definition.Dependencies };
                try
                {
                    Existing = store.Create(named, replace: false, cancellationToken);
                    return Existing.Total;
                }
                catch (BatchAlreadyExistsException)
                {
                    Existing = store.Load(BatchId);
                    CheckName(store, Existing, Name);
                }
            }
            var missing = definition.Features.Where(f => Existing.Find(f) == null).Distinct(StringComparer.Ordinal).ToList();
            // Runs only add features, never remove them: what the loaded batch has, the stored one has too.
            if (missing.Count == 0) return 0;
            return store.AddFeatures(BatchId, missing, cancellationToken);
        }

        private static Batch? LoadIfExists(IBatchStore store, string batchId)
        {
            if (!store.Exists(batchId)) return null;
            try
            {
                return store.Load(batchId);
            }
            catch (BatchNotFoundException)
            {
                return null; // removed since
            }
        }

        private static void CheckName(IBatchStore store, Batch batch, string name)
        {
            if (!string.Equals(batch.Name, name, StringComparison.Ordinal))
                throw new BatchNameConflictException(batch.BatchId, name, batch.Name, store.Address(batch.BatchId));
        }

        /// <summary>Every readable batch with this very name (a damaged or foreign file is not one of them).</summary>
        private static List<Batch> WithName(IBatchStore store, string name)
        {
            var found = new List<Batch>();
            if (!store.LocationExists) return found;
            foreach (string id in store.ListBatchIds())
            {
                try
                {
                    var batch = store.Load(id);
                    if (string.Equals(batch.Name, name, StringComparison.Ordinal)) found.Add(batch);
                }
                catch (StateException)
                {
                    // Not readable: Test-BatchState reports it; it cannot be the batch asked for by name.
                }
            }
            return found;
        }
    }
}
