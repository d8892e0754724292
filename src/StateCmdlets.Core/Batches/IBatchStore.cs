using System;
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
    internal interface IBatchStore
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

        /// <summary>
        /// Adds features to an existing batch, at its end, as Pending; names it has already are left
        /// as they are (never added twice). Returns how many were added; 0 writes nothing.
        /// </summary>
        int AddFeatures(string batchId, IReadOnlyList<string> features, CancellationToken cancellationToken);

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

        /// <summary>
        /// Claims up to <see cref="ClaimRequest.MaxItems"/> features that are ready (see
        /// <see cref="Batch.ReadinessOf"/>) and that no other worker holds, each with a new fencing
        /// token, for the lease. Features whose dependency failed for good are recorded Skipped on
        /// the way. Atomic: no feature is ever given to two workers while a lease holds.
        /// </summary>
        ClaimGrant Claim(string batchId, ClaimRequest request, CancellationToken cancellationToken);

        /// <summary>
        /// A heartbeat: every claim of <paramref name="worker"/> that still holds holds for the lease
        /// again (a claim that ran out stays lost). Returns how many claims it renewed; 0 writes nothing.
        /// </summary>
        int Renew(string batchId, WorkerIdentity worker, TimeSpan? lease, CancellationToken cancellationToken);

        /// <summary>
        /// Ends the claims of <paramref name="worker"/> on these features (null: all of them) without
        /// a result, so any worker may take them at once. Returns how many it ended; 0 writes nothing.
        /// </summary>
        int Release(string batchId, WorkerIdentity worker, IReadOnlyCollection<string>? features, CancellationToken cancellationToken);

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
