using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Npgsql;
using NpgsqlTypes;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.Import;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// Batches in PostgreSQL, for workers on several machines: one row per batch and one per item in
    /// the module's own schema (<see cref="PgSchema"/>), behind the same contract as the file store.
    /// Every operation is one short transaction on a pooled connection, retried while the server
    /// fails transiently (within the lock timeout, then <see cref="StateStoreUnavailableException"/>);
    /// it returns only once committed, so an acknowledged result is as durable as the server's
    /// synchronous_commit makes commits (with <c>off</c>, a server crash may lose the last fraction
    /// of a second of acknowledged results and claims, and may hand a lost claim's token out again,
    /// which weakens fencing: keep it on). A write whose commit went unanswered (the connection lost
    /// mid-commit) is looked up by its request id before anything is sent again. The rules (readiness,
    /// retries and backoff, the circuit breaker, fencing) are the core's: each operation reads the
    /// rows it touches into a core <see cref="Batch"/> and lets it decide.
    /// </summary>
    internal sealed class PgBatchStore : IBatchStore
    {
        private const string ReadBatchSql = "SELECT now(), " + BatchRow.Columns + " FROM {s}.batch WHERE batch_id = @id";

        private readonly PgDatabase _db;
        private readonly PgSchema _schema;

        /// <param name="connectionString">An Npgsql connection string or a postgresql:// URI; its password is never shown.</param>
        public PgBatchStore(string connectionString, PgStoreOptions? options = null)
        {
            Options = options ?? new PgStoreOptions();
            _db = new PgDatabase(connectionString, Options);
            _schema = new PgSchema(_db);
        }

        public PgStoreOptions Options { get; }

        /// <summary>postgresql://host:port/database?schema=name (no user, no password).</summary>
        public string Location => _db.Location;

        /// <summary>The module's schema name in the database.</summary>
        public string Schema => _db.Schema;

        /// <summary>Whether the module's schema exists in the database (nothing was ever stored there, otherwise).</summary>
        public bool LocationExists => Run("look for the schema", Location, (c, a) => _schema.Ensure(c, create: false) != null, CancellationToken.None);

        /// <summary>The batch's locator: <see cref="Location"/>#batchId. Refuses invalid ids.</summary>
        public string Address(string batchId)
        {
            BatchId.Validate(batchId);
            return Location + "#" + batchId;
        }

        public bool Exists(string batchId)
        {
            string address = Address(batchId);
            return Run("look for the batch", address, (c, a) =>
            {
                if (_schema.Ensure(c, create: false) == null) return false;
                using (var command = Command(c, null, "SELECT EXISTS (SELECT 1 FROM {s}.batch WHERE batch_id = @id)"))
                {
                    command.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                    return (bool)command.ExecuteScalar()!;
                }
            }, CancellationToken.None);
        }

        public IReadOnlyList<string> ListBatchIds() => Run("list the batches", Location, (c, a) =>
        {
            var ids = new List<string>();
            if (_schema.Ensure(c, create: false) == null) return ids;
            using (var command = Command(c, null, "SELECT batch_id FROM {s}.batch ORDER BY batch_id COLLATE \"C\""))
            using (var r = command.ExecuteReader())
                while (r.Read()) ids.Add(r.GetString(0));
            return ids;
        }, CancellationToken.None);

        /// <summary>The same as <see cref="ListBatchIds"/>: a database holds no half-written batch.</summary>
        public IReadOnlyList<string> ListBatchIdsToInspect() => ListBatchIds();

        public Batch Create(BatchDefinition definition, bool replace, CancellationToken cancellationToken)
        {
            while (true)
            {
                DateTime now = DateTime.UtcNow;
                string id = definition.BatchId ?? BatchId.Generate(now);
                // Validated whole before anything reaches the database.
                var batch = Batch.Create(id, definition, now, PgSchema.Current);
                if (Write(batch, replace, idWasGenerated: definition.BatchId == null, null, cancellationToken)) return batch;
            }
        }

        public Batch Import(ImportedBatch imported, bool replace, CancellationToken cancellationToken)
        {
            var batch = imported.ToBatch(DateTime.UtcNow, PgSchema.Current);
            Write(batch, replace, idWasGenerated: false, imported.SourcePath, cancellationToken);
            return batch;
        }

        /// <summary>
        /// New items at the end, Pending, in one transaction under the batch row's lock (so two
        /// adders number their items one after the other); names the batch has are left alone.
        /// </summary>
        public int AddFeatures(string batchId, IReadOnlyList<string> features, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            // All or nothing: every name checked before anything is written.
            foreach (string name in features) Batch.CheckName("feature name", name);
            var names = features.Distinct(StringComparer.Ordinal).ToArray();
            return Run("add features", address, (c, attempt) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                using (var tx = c.BeginTransaction())
                {
                    long key;
                    int total;
                    using (var find = Command(c, tx, "SELECT batch_key, total FROM {s}.batch WHERE batch_id = @id FOR UPDATE"))
                    {
                        find.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                        using (var r = find.ExecuteReader())
                        {
                            if (!r.Read()) throw NotFound(batchId);
                            key = r.GetInt64(0);
                            total = r.GetInt32(1);
                        }
                    }
                    var present = new HashSet<string>(ReadItems(c, tx, key, names).Select(f => f.Name), StringComparer.Ordinal);
                    var added = names.Where(n => !present.Contains(n)).ToArray();
                    if (added.Length == 0) return 0;
                    using (var insert = Command(c, tx, @"
INSERT INTO {s}.item (batch_key, idx, name) SELECT @b, @total + n.i - 1, n.name FROM unnest(@names) WITH ORDINALITY AS n(name, i);
UPDATE {s}.batch SET total = total + cardinality(@names), updated_at = GREATEST(updated_at, now()) WHERE batch_key = @b"))
                    {
                        insert.Parameters.Add(new NpgsqlParameter<long>("b", key));
                        insert.Parameters.Add(new NpgsqlParameter<int>("total", total));
                        insert.Parameters.Add(new NpgsqlParameter<string[]>("names", added));
                        insert.ExecuteNonQuery();
                    }
                    attempt.BeforeCommit(); // sent again, it finds its names there and adds nothing
                    tx.Commit();
                    return added.Length;
                }
            }, cancellationToken);
        }

        public Batch Load(string batchId)
        {
            string address = Address(batchId);
            return Run("read the batch", address, (c, a) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                // One snapshot for the batch row and its items.
                using (var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead))
                {
                    var row = ReadBatch(c, tx, batchId, out _) ?? throw NotFound(batchId);
                    var features = new List<Feature>(row.Total);
                    decimal contextSum = 0;
                    using (var command = Command(c, tx, "SELECT " + ItemRow.Columns + ", context_tokens FROM {s}.item WHERE batch_key = @b ORDER BY idx"))
                    {
                        command.Parameters.Add(new NpgsqlParameter<long>("b", row.Key));
                        using (var r = command.ExecuteReader())
                            while (r.Read())
                            {
                                features.Add(ItemRow.Read(r));
                                contextSum += r.GetInt64(ItemRow.ColumnCount);
                            }
                    }
                    tx.Commit();
                    return row.ToBatch(features, contextSum, PgSchema.Current);
                }
            }, CancellationToken.None);
        }

        public BatchSummary Summary(string batchId, CancellationToken cancellationToken) => new BatchSummary(Load(batchId));

        public RecordOutcome Record(string batchId, FeatureResult result, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            var request = Guid.NewGuid();
            // A result for a claim this process made: prepared against the row as claimed, written in one statement.
            bool claimedHere = ClaimedRows.TryTake(address, result.Feature, result.ClaimToken, out var claimedBatch, out var claimedRow);
            return Run("record a result", address, (c, attempt) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                bool earlier = attempt.OutcomeUnknown && Applied(c, request);
                if (claimedHere && !earlier)
                {
                    var written = Write(c, attempt, claimedBatch, claimedRow, result, DateTime.UtcNow, request, address);
                    if (written != null) return written;
                    // The row changed since the claim (or the batch was made again): read it and decide.
                    claimedHere = false;
                    attempt.Reset();
                }
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (row, feature, now) = ReadFeature(c, batchId, result.Feature);
                    if (earlier)
                    {
                        // The try whose commit went unanswered did commit: report what it recorded.
                        if (feature == null) throw new FeatureNotFoundException(batchId, result.Feature, address);
                        int todo = CountTodo(c, row);
                        return new RecordOutcome(feature, row.Total, todo, row.Partial(new[] { feature.Clone() }).IsSuspendedWith(todo));
                    }
                    var written = Write(c, attempt, row, feature, result, now, request, address);
                    if (written != null) return written;
                    // The row changed since it was read (a claim, another result): check again against it.
                    attempt.Reset();
                }
            }, cancellationToken);
        }

        /// <summary>
        /// The core checks <paramref name="result"/> against <paramref name="feature"/> as read (or as
        /// claimed) and applies it; the write records it if the row still is as it was. Null when the
        /// row changed meanwhile (nothing was written).
        /// </summary>
        private RecordOutcome? Write(NpgsqlConnection c, PgAttempt attempt, BatchRow row, Feature? feature, FeatureResult result, DateTime now, Guid request, string address)
        {
            var partial = row.Partial(feature == null ? Array.Empty<Feature>() : new[] { feature.Clone() });
            var prepared = partial.Prepare(result, now, address);
            var current = partial.Find(result.Feature)!;
            var before = new FeatureVersion(current);
            bool wasTodo = Todo.Is(current, row.Settings.MaxAttempts);
            var after = partial.Apply(prepared, now, address);
            attempt.BeforeCommit();
            var written = ItemWrite.Write(_db, c, null, row, before, after, prepared, request, out int remainingBefore);
            if (written == null) return null;
            int remaining = remainingBefore - (wasTodo ? 1 : 0) + (Todo.Is(written, row.Settings.MaxAttempts) ? 1 : 0);
            return new RecordOutcome(written, row.Total, remaining, partial.IsSuspendedWith(remaining));
        }

        public Readiness ReadinessOf(string batchId, string featureName, bool includeFailed, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            return Run("look at a feature", address, (c, attempt) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var (row, feature, now) = ReadFeature(c, batchId, featureName);
                    if (feature == null) throw new FeatureNotFoundException(batchId, featureName, address);
                    var partial = row.Partial(new[] { feature }.Concat(ReadItems(c, null, row.Key, feature.DependsOn)));
                    var readiness = partial.ReadinessOf(partial.Find(featureName)!, includeFailed, now);
                    if (readiness.Skip == null) return readiness;
                    var before = new FeatureVersion(feature);
                    var after = partial.Apply(readiness.Skip, now, address);
                    attempt.BeforeCommit();
                    if (ItemWrite.Write(_db, c, null, row, before, after, readiness.Skip, null, out _) != null) return readiness;
                    attempt.Reset();
                }
            }, cancellationToken);
        }

        public ClaimGrant Claim(string batchId, ClaimRequest request, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            var requestId = Guid.NewGuid();
            return Run("claim features", address, (c, attempt) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                // One transaction, begun and committed by the claim's own statements (a failure rolls it back with the connection).
                var claim = new PgClaim(_db, c, batchId, request, address, attempt);
                var grant = claim.Run(requestId, () => NotFound(batchId));
                foreach (var row in grant.Claimed) ClaimedRows.Remember(address, claim.Batch, row);
                return grant;
            }, cancellationToken);
        }

        // One statement: every claim of the worker that still holds by the database's clock holds
        // for the lease from now (never shortened); a claim that ran out stays lost.
        private const string RenewSql = @"
WITH b AS (SELECT batch_key FROM {s}.batch WHERE batch_id = @id),
renewed AS (
    UPDATE {s}.item SET lease_expires_at = GREATEST(lease_expires_at, now() + @lease)
    WHERE batch_key = (SELECT batch_key FROM b) AND claimed_host = @host AND claimed_pid = @pid AND claimed_session = @session
      AND lease_expires_at > now()
    RETURNING 1)
SELECT (SELECT count(*) FROM b)::int, (SELECT count(*) FROM renewed)::int";

        public int Renew(string batchId, WorkerIdentity worker, TimeSpan? lease, CancellationToken cancellationToken) =>
            WorkerStatement(batchId, worker, "renew claims", RenewSql, c =>
                c.Parameters.Add(new NpgsqlParameter("lease", NpgsqlDbType.Interval) { Value = lease.HasValue ? lease.Value : (object)DBNull.Value }),
                cancellationToken, leaseFromBatch: lease == null);

        // One statement: the worker's claims on these features (or all), held or run out; a feature
        // another worker took since is that worker's, and stays so.
        private const string ReleaseSql = @"
WITH b AS (SELECT batch_key FROM {s}.batch WHERE batch_id = @id),
released AS (
    UPDATE {s}.item SET claimed_host = NULL, claimed_pid = NULL, claimed_session = NULL, claimed_at = NULL, lease_expires_at = NULL, claim_request = NULL
    WHERE batch_key = (SELECT batch_key FROM b) AND claimed_host = @host AND claimed_pid = @pid AND claimed_session = @session
      AND (@all OR name = ANY (@names))
    RETURNING 1)
SELECT (SELECT count(*) FROM b)::int, (SELECT count(*) FROM released)::int";

        public int Release(string batchId, WorkerIdentity worker, IReadOnlyCollection<string>? features, CancellationToken cancellationToken) =>
            WorkerStatement(batchId, worker, "release claims", ReleaseSql, c =>
            {
                c.Parameters.Add(new NpgsqlParameter<bool>("all", features == null));
                c.Parameters.Add(new NpgsqlParameter<string[]>("names", features?.ToArray() ?? Array.Empty<string>()));
            }, cancellationToken);

        /// <summary>
        /// Counts a checkpoint. Nothing to fold here: every result is in its row, durable, the moment
        /// it is acknowledged. The count and time are kept so scripts that checkpoint see them.
        /// </summary>
        public BatchSummary Checkpoint(string batchId, CancellationToken cancellationToken) =>
            BatchStatement(batchId, "count a checkpoint", "UPDATE {s}.batch SET checkpoint_count = checkpoint_count + 1, last_checkpoint_at = now() WHERE batch_id = @id RETURNING batch_key", cancellationToken);

        public BatchSummary ResetBreaker(string batchId, CancellationToken cancellationToken) =>
            BatchStatement(batchId, "reset the circuit breaker", "UPDATE {s}.batch SET consecutive_failures = 0, updated_at = GREATEST(updated_at, now()) WHERE batch_id = @id RETURNING batch_key", cancellationToken);

        // The estimate is the items' sum less the base: the base becomes the sum, and the clear is logged with what it cleared.
        private const string ResetContextSql = @"
WITH cur AS (
    SELECT b.batch_key, b.context_base, (SELECT coalesce(sum(i.context_tokens), 0) FROM {s}.item i WHERE i.batch_key = b.batch_key) AS total
    FROM {s}.batch b WHERE b.batch_id = @id FOR UPDATE)
UPDATE {s}.batch b SET context_base = cur.total, updated_at = GREATEST(b.updated_at, now()),
    context_clears = b.context_clears || jsonb_build_array(jsonb_build_object('at', now(), 'tokensBefore', LEAST(GREATEST(cur.total - cur.context_base, 0), 9223372036854775807)::bigint))
FROM cur WHERE b.batch_key = cur.batch_key
RETURNING b.batch_key";

        public BatchSummary ResetContext(string batchId, CancellationToken cancellationToken) =>
            BatchStatement(batchId, "clear the context budget", ResetContextSql, cancellationToken);

        /// <summary>Deletes the batch's row, its items and its request log in one transaction; returns the batch's address.</summary>
        public IReadOnlyList<string> Remove(string batchId, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            return Run("remove the batch", address, (c, attempt) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                attempt.BeforeCommit();
                using (var command = Command(c, null, "DELETE FROM {s}.batch WHERE batch_id = @id RETURNING batch_key"))
                {
                    command.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                    // Gone on a retry whose first try's commit went unanswered: that try removed it.
                    if (command.ExecuteScalar() == null && !attempt.OutcomeUnknown) throw NotFound(batchId);
                }
                _db.Trace?.Invoke($"Removed batch '{batchId}' from {Location}.");
                return (IReadOnlyList<string>)new[] { address };
            }, cancellationToken);
        }

        /// <summary>
        /// The schema's version, for every batch at once: the database holds one schema, migrated as
        /// a whole on first use. Reads only; an older schema is reported, not migrated.
        /// </summary>
        public MigrationOutcome InspectVersion(string batchId)
        {
            string address = Address(batchId);
            return Run("read the schema version", address, (c, a) =>
            {
                var version = _schema.ReadVersion(c) ?? throw NotFound(batchId);
                if (version.Major > PgSchema.Current.Major)
                    throw new StateVersionTooNewException(Location, version.ToString(), PgSchema.Current.ToString(),
                        $"The StateCmdlets schema '{Schema}' in {Location} has version {version}, newer than this module understands ({PgSchema.Current}). Update StateCmdlets; nothing was changed.");
                if (!BatchExists(c, batchId)) throw NotFound(batchId);
                var action = version < PgSchema.Current ? MigrationAction.NeedsMigration : MigrationAction.UpToDate;
                return new MigrationOutcome(address, version, SchemaVersion.Max(version, PgSchema.Current), action, null);
            }, CancellationToken.None);
        }

        /// <summary>What migrating the schema from <paramref name="from"/> does, one line per step.</summary>
        public IReadOnlyList<string> DescribeMigration(SchemaVersion from) => PgSchema.Describe(from);

        /// <summary>
        /// Brings the schema (every batch in it at once) to this module's version, in one transaction
        /// under the advisory lock: all of it or none, so there is no backup copy (take a pg_dump first
        /// if you want one). Every other operation does the same on first use.
        /// </summary>
        public MigrationOutcome Migrate(string batchId, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            return Run("migrate the schema", address, (c, a) =>
            {
                var from = _schema.ReadVersion(c) ?? throw NotFound(batchId);
                var to = _schema.Ensure(c, create: false)!.Value;
                if (!BatchExists(c, batchId)) throw NotFound(batchId);
                return new MigrationOutcome(address, from, to, from < to ? MigrationAction.Migrated : MigrationAction.UpToDate, null);
            }, cancellationToken);
        }

        /// <summary>
        /// Schema and constraint checks for one batch: the schema's version, its constraints all
        /// validated and its indexes present, and the batch's rows consistent with each other (item
        /// count, positions, dependencies and blockers naming features of the batch, no cycle, tokens
        /// below the sequence). Changes nothing.
        /// </summary>
        public IReadOnlyList<StateProblem> Inspect(string batchId)
        {
            string address = Address(batchId);
            return Run("inspect the batch", address, (c, a) => new PgInspection(_db, _schema, c, batchId, address).Run(), CancellationToken.None);
        }

        /// <summary>
        /// Nothing to mend: PostgreSQL's write-ahead log makes each commit whole, so a crash leaves no
        /// torn batch, and what <see cref="Inspect"/> finds (a row changed by hand, a dropped index) is
        /// not for the module to guess at. Reports the problems and whether the batch still loads.
        /// </summary>
        public RepairReport Repair(string batchId, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            var report = new RepairReport(batchId, address);
            report.Problems.AddRange(Inspect(batchId));
            if (report.Problems.Count == 0)
            {
                report.Recovered = true;
                return report;
            }
            report.Lost.Add($"Nothing was changed: these problems were made outside StateCmdlets (a crash cannot make them in PostgreSQL); mend them in the database, then run Test-BatchState again.");
            try
            {
                Load(batchId);
                report.Recovered = true;
            }
            catch (StateException)
            {
                report.Recovered = false;
            }
            return report;
        }

        // ---- the parts every operation shares ----

        private T Run<T>(string what, string address, Func<NpgsqlConnection, PgAttempt, T> operation, CancellationToken cancellationToken) =>
            PgRetry.Run(_db, _schema, what, address, operation, cancellationToken);

        private NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql) => new NpgsqlCommand(_db.Sql(sql), c, tx);

        private BatchNotFoundException NotFound(string batchId) =>
            new BatchNotFoundException(batchId, Location + "#" + batchId, $"No batch '{batchId}' in {Location}.");

        /// <summary>The batch row and the database's clock; null when there is no such batch.</summary>
        private BatchRow? ReadBatch(NpgsqlConnection c, NpgsqlTransaction? tx, string batchId, out DateTime now)
        {
            using (var command = Command(c, tx, ReadBatchSql))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                using (var r = command.ExecuteReader())
                {
                    now = default;
                    if (!r.Read()) return null;
                    now = r.GetFieldValue<DateTime>(0);
                    return BatchRow.Read(r, 1);
                }
            }
        }

        /// <summary>The batch row, one item row (null when the batch has no such feature) and the database's clock, in one statement.</summary>
        private (BatchRow Row, Feature? Feature, DateTime Now) ReadFeature(NpgsqlConnection c, string batchId, string featureName)
        {
            string sql = "SELECT now(), " + BatchRow.ColumnsOf("b") + ", " + ItemRow.ColumnsOf("i") +
                " FROM {s}.batch b LEFT JOIN {s}.item i ON i.batch_key = b.batch_key AND md5(i.name) = md5(@name) AND i.name = @name WHERE b.batch_id = @id";
            using (var command = Command(c, null, sql))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                command.Parameters.Add(new NpgsqlParameter<string>("name", featureName));
                using (var r = command.ExecuteReader())
                {
                    if (!r.Read()) throw NotFound(batchId);
                    var row = BatchRow.Read(r, 1);
                    int at = 1 + BatchRow.ColumnCount;
                    var feature = r.IsDBNull(at) ? null : ItemRow.Read(r, at);
                    return (row, feature, r.GetFieldValue<DateTime>(0));
                }
            }
        }

        private List<Feature> ReadItems(NpgsqlConnection c, NpgsqlTransaction? tx, long batchKey, IReadOnlyList<string> names)
        {
            var rows = new List<Feature>();
            if (names.Count == 0) return rows;
            using (var command = Command(c, tx, "SELECT " + ItemRow.Columns + " FROM {s}.item WHERE batch_key = @b AND md5(name) = ANY (SELECT md5(n) FROM unnest(@names) AS n) AND name = ANY (@names)"))
            {
                command.Parameters.Add(new NpgsqlParameter<long>("b", batchKey));
                command.Parameters.Add(new NpgsqlParameter<string[]>("names", names.ToArray()));
                using (var r = command.ExecuteReader())
                    while (r.Read()) rows.Add(ItemRow.Read(r));
            }
            return rows;
        }

        private int CountTodo(NpgsqlConnection c, BatchRow row)
        {
            using (var command = Command(c, null, "SELECT count(*)::int FROM {s}.item WHERE batch_key = @b AND " + Todo.Sql))
            {
                command.Parameters.Add(new NpgsqlParameter<long>("b", row.Key));
                command.Parameters.Add(new NpgsqlParameter<int>("max_attempts", row.Settings.MaxAttempts));
                return (int)command.ExecuteScalar()!;
            }
        }

        private bool Applied(NpgsqlConnection c, Guid request)
        {
            using (var command = Command(c, null, "SELECT EXISTS (SELECT 1 FROM {s}.applied_request WHERE request_id = @r)"))
            {
                command.Parameters.Add(new NpgsqlParameter<Guid>("r", request));
                return (bool)command.ExecuteScalar()!;
            }
        }

        private bool BatchExists(NpgsqlConnection c, string batchId)
        {
            using (var command = Command(c, null, "SELECT EXISTS (SELECT 1 FROM {s}.batch WHERE batch_id = @id)"))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                return (bool)command.ExecuteScalar()!;
            }
        }

        /// <summary>Renew or release: one statement; 0 when the worker holds nothing (nothing is written then).</summary>
        private int WorkerStatement(string batchId, WorkerIdentity worker, string what, string sql, Action<NpgsqlCommand> parameters, CancellationToken cancellationToken, bool leaseFromBatch = false)
        {
            string address = Address(batchId);
            return Run(what, address, (c, attempt) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                string text = leaseFromBatch ? sql.Replace("now() + @lease", "now() + (SELECT lease FROM {s}.batch WHERE batch_id = @id)", StringComparison.Ordinal) : sql;
                using (var command = Command(c, null, text))
                {
                    command.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                    command.Parameters.Add(new NpgsqlParameter<string>("host", worker.Host));
                    command.Parameters.Add(new NpgsqlParameter<int>("pid", worker.ProcessId));
                    command.Parameters.Add(new NpgsqlParameter<string>("session", worker.Session));
                    parameters(command);
                    attempt.BeforeCommit(); // renewing or releasing twice is the same as once
                    using (var r = command.ExecuteReader())
                    {
                        r.Read();
                        if (r.GetInt32(0) == 0) throw NotFound(batchId);
                        return r.GetInt32(1);
                    }
                }
            }, cancellationToken);
        }

        /// <summary>A change to the batch row alone, logged by request id (so a retry after a lost commit does not count twice); returns the summary after it.</summary>
        private BatchSummary BatchStatement(string batchId, string what, string sql, CancellationToken cancellationToken)
        {
            string address = Address(batchId);
            var request = Guid.NewGuid();
            Run(what, address, (c, attempt) =>
            {
                if (_schema.Ensure(c, create: false) == null) throw NotFound(batchId);
                if (attempt.OutcomeUnknown && Applied(c, request)) return true;
                using (var command = Command(c, null, "WITH changed AS (" + sql + ") INSERT INTO {s}.applied_request (request_id, batch_key) SELECT @request, batch_key FROM changed RETURNING 1"))
                {
                    command.Parameters.Add(new NpgsqlParameter<string>("id", batchId));
                    command.Parameters.Add(new NpgsqlParameter<Guid>("request", request));
                    attempt.BeforeCommit();
                    if (command.ExecuteScalar() == null) throw NotFound(batchId);
                }
                return true;
            }, cancellationToken);
            return Summary(batchId, cancellationToken);
        }

        /// <summary>
        /// Writes a new batch (Create, Import): the batch row and every item (binary COPY) in one
        /// transaction. False when a generated id was taken meanwhile (the caller picks another).
        /// </summary>
        private bool Write(Batch batch, bool replace, bool idWasGenerated, string? sourcePath, CancellationToken cancellationToken)
        {
            string address = Address(batch.BatchId);
            var request = Guid.NewGuid();
            return Run("create the batch", address, (c, attempt) =>
            {
                _schema.Ensure(c, create: true);
                using (var tx = c.BeginTransaction())
                {
                    Guid? existing = null;
                    long? existingKey = null;
                    using (var find = Command(c, tx, "SELECT batch_key, create_request FROM {s}.batch WHERE batch_id = @id FOR UPDATE"))
                    {
                        find.Parameters.Add(new NpgsqlParameter<string>("id", batch.BatchId));
                        using (var r = find.ExecuteReader())
                            if (r.Read())
                            {
                                existingKey = r.GetInt64(0);
                                existing = r.IsDBNull(1) ? (Guid?)null : r.GetGuid(1);
                            }
                    }
                    if (existingKey.HasValue)
                    {
                        // Our own try, whose commit went unanswered, made it.
                        if (attempt.OutcomeUnknown && existing == request) return true;
                        if (idWasGenerated) return false;
                        if (!replace) throw new BatchAlreadyExistsException(batch.BatchId, address);
                        using (var delete = Command(c, tx, "DELETE FROM {s}.batch WHERE batch_key = @k"))
                        {
                            delete.Parameters.Add(new NpgsqlParameter<long>("k", existingKey.Value));
                            delete.ExecuteNonQuery();
                        }
                    }
                    try
                    {
                        NewBatch.Insert(_db, c, tx, batch, request);
                    }
                    catch (PostgresException e) when (e.SqlState == "23505" && e.ConstraintName == "batch_batch_id_key")
                    {
                        // Another client created the same id between the look and the insert.
                        if (idWasGenerated) return false;
                        throw new BatchAlreadyExistsException(batch.BatchId, address);
                    }
                    catch (PostgresException e) when (sourcePath != null && e.SqlState.StartsWith("23", StringComparison.Ordinal))
                    {
                        // A value the tables refuse (a negative count, say) is the source file's fault.
                        throw new StateFileCorruptException(sourcePath, null, $"it cannot become a valid batch: {e.MessageText}", e);
                    }
                    attempt.BeforeCommit();
                    tx.Commit();
                    _db.Trace?.Invoke($"Wrote batch '{batch.BatchId}' ({batch.Total} items) to {Location}.");
                    return true;
                }
            }, cancellationToken);
        }
    }
}
