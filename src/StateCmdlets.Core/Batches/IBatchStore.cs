using System.Collections.Generic;
using System.Threading;
using StateCmdlets.Core.Batches.Import;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Where batches live, as every cmdlet sees it. Each operation is one unit of work: atomic, and
    /// durable before it returns. Failures are <see cref="StateException"/>s with stable ids. The file
    /// store (a state directory) is one implementation; the contract tests run against every one.
    /// </summary>
    public interface IBatchStore
    {
        /// <summary>What names this store: a state directory, or later a database locator (never a password).</summary>
        string Location { get; }

        /// <summary>Whether the location exists at all (a typo in a path, or no batch made yet).</summary>
        bool LocationExists { get; }

        /// <summary>Where one batch lives, for messages and -WhatIf (its snapshot file, for the file store). Refuses invalid ids.</summary>
        string Address(string batchId);

        /// <summary>Whether a batch with this id exists (for -WhatIf; the write checks again).</summary>
        bool Exists(string batchId);

        /// <summary>Ids of every batch, sorted.</summary>
        IReadOnlyList<string> ListBatchIds();

        /// <summary>Ids of every batch with anything left of it, readable or not (what Test-BatchState looks at), sorted.</summary>
        IReadOnlyList<string> ListBatchIdsToInspect();

        /// <summary>Creates a batch; an existing one is an error unless <paramref name="replace"/> (its unreadable data is kept aside, never destroyed).</summary>
        Batch Create(BatchDefinition definition, bool replace, CancellationToken cancellationToken);

        /// <summary>Writes a batch read from a file (another tool's, or an exported one), with the same id.</summary>
        Batch Import(ImportedBatch imported, bool replace, CancellationToken cancellationToken);

        /// <summary>The batch as it stands, everything recorded included. Never writes.</summary>
        Batch Load(string batchId);

        /// <summary>The counters of the batch now.</summary>
        BatchSummary Summary(string batchId, CancellationToken cancellationToken);

        /// <summary>Records one result; returns once it is durable.</summary>
        RecordOutcome Record(string batchId, FeatureResult result, CancellationToken cancellationToken);

        /// <summary>
        /// Whether a feature should be handed out now (see <see cref="Batch.ReadinessOf"/>); a feature
        /// whose dependency failed for good is recorded Skipped on the way.
        /// </summary>
        Readiness ReadinessOf(string batchId, string featureName, bool includeFailed, CancellationToken cancellationToken);

        /// <summary>Folds everything recorded into the batch's base copy now (Checkpoint-BatchState) and counts it.</summary>
        BatchSummary Checkpoint(string batchId, CancellationToken cancellationToken);

        /// <summary>Closes the circuit breaker of a suspended batch.</summary>
        BatchSummary ResetBreaker(string batchId, CancellationToken cancellationToken);

        /// <summary>Records a clear of the context budget and zeroes the estimate.</summary>
        BatchSummary ResetContext(string batchId, CancellationToken cancellationToken);

        /// <summary>Deletes the batch and everything of it; returns what was removed (file paths, for the file store).</summary>
        IReadOnlyList<string> Remove(string batchId, CancellationToken cancellationToken);

        /// <summary>What migrating the batch would do, without changing anything.</summary>
        MigrationOutcome InspectVersion(string batchId);

        /// <summary>What migrating a batch of <paramref name="from"/> changes, one line per schema step.</summary>
        IReadOnlyList<string> DescribeMigration(SchemaVersion from);

        /// <summary>Brings the batch to the current schema version, keeping the original.</summary>
        MigrationOutcome Migrate(string batchId, CancellationToken cancellationToken);

        /// <summary>Everything wrong with the batch's stored data. Changes nothing.</summary>
        IReadOnlyList<StateProblem> Inspect(string batchId);

        /// <summary>Mends what <see cref="Inspect"/> finds; says what was recovered and what was lost.</summary>
        RepairReport Repair(string batchId, CancellationToken cancellationToken);
    }
}
