using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore.Schema
{
    /// <summary>
    /// The batch snapshot format: its current version and the chain of steps up to it.
    /// 1.0.0: snapshot only. 1.1.0: snapshot plus journal (journalGeneration, journalSequence).
    /// 1.2.0: retry backoff and permanent failures, circuit breaker, context budget, checkpoints,
    /// dependencies, extensions (imported fields kept verbatim). 1.3.0: claims (lease, fencing tokens)
    /// and blockedBy.
    /// </summary>
    internal static class BatchSchema
    {
        public static readonly SchemaVersion Current = new SchemaVersion(1, 3, 0);

        /// <summary>The migration chain for batch snapshots (one shared instance: it holds no state).</summary>
        public static readonly SchemaMigrator Migrator = new SchemaMigrator(Current, new IMigrationStep[] { new AddJournalMark(), new AddRetryAndContext(), new AddClaims() });
    }
}
