using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// One claim, in one short transaction (no row lock outlives it, so none is held while an item
    /// runs). The River pattern: candidate rows in batch order from the to-do index,
    /// <c>FOR UPDATE SKIP LOCKED</c> so concurrent claimers pass each other's rows instead of
    /// queueing; lease expiry judged by the database's <c>now()</c>, never the worker's clock. The
    /// core decides about each candidate (<see cref="Batch.ReadinessOf(Feature, bool, DateTime)"/>:
    /// backoff, dependencies, blocked skips) on a batch of just those rows and what they depend on;
    /// the picked rows get their tokens from the claim_token sequence, ascending in claim order, and
    /// the request id, so a retry after a lost commit finds them again.
    /// </summary>
    internal sealed class PgClaim
    {
        // Free (never claimed, released, or the lease ran out by the database's clock), or held by a
        // worker of this machine whose process is known to be gone (@dead_pids, @dead_sessions): the
        // claims of this machine's live workers are neither returned nor locked. Own live claims come
        // separately. Dependencies: rows that can only be waiting are left out here; the core decides the rest.
        private const string Candidates = @"
SELECT " + ItemRow.Columns + @"
FROM {s}.item i
WHERE i.batch_key = @b AND i.idx > @after
  AND i.status IN ('Pending', 'Failed')
  AND (i.status = 'Pending' OR (@include_failed AND NOT i.permanent AND i.attempts < @max_attempts AND (i.retry_at IS NULL OR i.retry_at <= now())))
  AND (i.claimed_host IS NULL OR i.lease_expires_at <= now()
       OR (i.claimed_host = @machine AND EXISTS (SELECT 1 FROM unnest(@dead_pids, @dead_sessions) AS dead(pid, session) WHERE dead.pid = i.claimed_pid AND dead.session = i.claimed_session)))
  AND (cardinality(i.depends_on) = 0 OR EXISTS (
        SELECT 1 FROM (
            SELECT bool_or(d.status = 'Pending' OR (d.status = 'Failed' AND NOT d.permanent AND d.attempts < @max_attempts)) AS unfinished,
                   bool_or((d.status = 'Failed' AND (d.permanent OR d.attempts >= @max_attempts)) OR (d.status = 'Skipped' AND d.blocked_by IS NOT NULL)) AS failed
            FROM unnest(i.depends_on) AS dep(name)
            JOIN {s}.item d ON d.batch_key = i.batch_key AND md5(d.name) = md5(dep.name) AND d.name = dep.name) x
        WHERE NOT coalesce(x.unfinished, false) OR x.failed))
ORDER BY i.idx
LIMIT @limit
FOR UPDATE OF i SKIP LOCKED";

        private const string OwnLive = @"
SELECT " + ItemRow.Columns + @"
FROM {s}.item
WHERE batch_key = @b AND claimed_host = @host AND claimed_pid = @pid AND claimed_session = @session AND lease_expires_at > now()
  AND " + Todo.Sql + @"
ORDER BY idx
FOR UPDATE SKIP LOCKED";

        // The tokens drawn in the statement that takes the rows, paired with them in batch order.
        private static readonly string Take = @"
WITH drawn AS (SELECT nextval('{s}.claim_token') AS token FROM generate_series(1, cardinality(@idx))),
t AS (
    SELECT u.idx, k.token
    FROM unnest(@idx) WITH ORDINALITY AS u(idx, o)
    JOIN (SELECT token, row_number() OVER (ORDER BY token) AS o FROM drawn) k ON k.o = u.o)
UPDATE {s}.item i SET claim_token = t.token, claimed_host = @host, claimed_pid = @pid, claimed_session = @session,
    claimed_at = now(), lease_expires_at = now() + @lease, claim_request = @request
FROM t
WHERE i.batch_key = @b AND i.idx = t.idx
RETURNING " + ItemRow.ColumnsOf("i");

        private const string Counts = @"
SELECT count(*) FILTER (WHERE " + Todo.Sql + @")::int,
       count(*) FILTER (WHERE " + Todo.Sql + @" AND claimed_host IS NOT NULL AND lease_expires_at > now() AND claimed_host <> @machine
                         AND NOT (claimed_host = @host AND claimed_pid = @pid AND claimed_session = @session))::int,
       min(retry_at) FILTER (WHERE status = 'Failed' AND NOT permanent AND attempts < @max_attempts AND retry_at > now())
FROM {s}.item WHERE batch_key = @b AND status IN ('Pending', 'Failed')";

        private const string HeldHere = @"
SELECT claimed_pid, claimed_session, count(*)::int
FROM {s}.item WHERE batch_key = @b AND claimed_host = @machine AND lease_expires_at > now() AND " + Todo.Sql + @"
GROUP BY claimed_pid, claimed_session";

        private const string WaitingOnDependencies = @"
SELECT EXISTS (
    SELECT 1 FROM {s}.item i
    WHERE i.batch_key = @b AND i.status = 'Pending' AND cardinality(i.depends_on) > 0 AND EXISTS (
        SELECT 1 FROM unnest(i.depends_on) AS dep(name)
        JOIN {s}.item d ON d.batch_key = i.batch_key AND md5(d.name) = md5(dep.name) AND d.name = dep.name
        WHERE d.status = 'Pending' OR (d.status = 'Failed' AND NOT d.permanent AND d.attempts < @max_attempts)))";

        private const string EarlierSql = "SELECT " + ItemRow.Columns + " FROM {s}.item WHERE batch_key = @b AND claim_request = @request ORDER BY idx";

        // The first round trip opens the transaction and reads the batch row with what comes next, the
        // batch's key and max_attempts taken from the row in the same statement.
        private const string ReadBatch = "SELECT now(), " + BatchRow.Columns + " FROM {s}.batch WHERE batch_id = @id";
        private const string BatchKey = "(SELECT batch_key FROM {s}.batch WHERE batch_id = @id)";
        private const string BatchMaxAttempts = "(SELECT max_attempts FROM {s}.batch WHERE batch_id = @id)";

        /// <summary>Workers of this machine whose process was found gone: their claims are free at once, so they are candidates.</summary>
        private static readonly ConcurrentDictionary<WorkerIdentity, bool> GoneHere = new ConcurrentDictionary<WorkerIdentity, bool>();

        private readonly PgDatabase _db;
        private readonly NpgsqlConnection _connection;
        private readonly string _batchId;
        private readonly ClaimRequest _request;
        private readonly string _address;
        private readonly PgAttempt _attempt;
        private BatchRow _batch = null!;
        private List<(WorkerIdentity Holder, int Count)> _heldHere = new List<(WorkerIdentity, int)>();

        internal PgClaim(PgDatabase db, NpgsqlConnection connection, string batchId, ClaimRequest request, string address, PgAttempt attempt)
        {
            _db = db;
            _attempt = attempt;
            _connection = connection;
            _batchId = batchId;
            _request = request;
            _address = address;
        }

        /// <summary>The batch row the claim read (once <see cref="Run"/> has).</summary>
        internal BatchRow Batch => _batch;

        /// <summary>
        /// The claim, in one transaction of two round trips when nothing unusual happens: BEGIN, the
        /// batch row, this machine's claims and the first candidates; then the UPDATE that takes the
        /// picked rows, the grant's counts and COMMIT. A try after one whose commit went unanswered
        /// first looks for the claims that one made (by <paramref name="requestId"/>) and returns those.
        /// </summary>
        internal ClaimGrant Run(Guid requestId, Func<Exception> notFound)
        {
            List<Feature> first;
            DateTime now;
            string next = _attempt.OutcomeUnknown ? EarlierSql : _request.ReclaimOwn ? OwnLive : Candidates;
            using (var command = new NpgsqlCommand(_db.Sql("BEGIN; " + ReadBatch + "; " + InFirst(HeldHere) + "; " + InFirst(next)), _connection))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("id", _batchId));
                WorkerParameters(command);
                command.Parameters.Add(new NpgsqlParameter<Guid>("request", requestId));
                CandidateParameters(command, -1);
                using (var r = command.ExecuteReader())
                {
                    if (!r.Read()) throw notFound();
                    now = r.GetFieldValue<DateTime>(0);
                    _batch = BatchRow.Read(r, 1);
                    r.NextResult();
                    while (r.Read()) _heldHere.Add((new WorkerIdentity(Environment.MachineName, r.GetInt32(0), r.GetString(1)), r.GetInt32(2)));
                    r.NextResult();
                    first = new List<Feature>();
                    while (r.Read()) first.Add(ItemRow.Read(r));
                }
            }
            var lease = _request.Lease ?? _batch.Settings.Lease;
            var grant = new ClaimGrant { Lease = lease };
            if (_attempt.OutcomeUnknown)
            {
                if (first.Count > 0)
                {
                    // The try whose commit went unanswered did commit: its claims are the grant.
                    grant.Claimed.AddRange(first);
                    Finish(grant, null, requestId, lease);
                    return grant;
                }
                first = _request.ReclaimOwn ? Select(OwnLive, _ => { }) : Select(Candidates, c => CandidateParameters(c, -1));
            }
            if (_batch.BreakerOpen)
            {
                Finish(grant, null, requestId, lease, stayOpen: true);
                if (grant.Remaining > 0)
                {
                    grant.Suspended = true;
                    grant.NextRetry = null;
                    grant.HeldByOthers = 0;
                    grant.WaitingForDependencies = false;
                    Commit();
                    return grant;
                }
                grant = new ClaimGrant { Lease = lease };
            }
            var picked = new List<Feature>();
            List<Feature>? page = first;
            if (_request.ReclaimOwn)
            {
                Decide(first, now, picked, grant, limit: int.MaxValue, mine: true);
                page = null;
            }
            int fresh = 0;
            int after = -1;
            int pageSize = PageSize;
            bool goneFound = NoteGone();
            while (fresh < _request.MaxItems)
            {
                page ??= Select(Candidates, c => CandidateParameters(c, after));
                if (page.Count == 0) break;
                after = page[page.Count - 1].Index;
                fresh += Decide(page, now, picked, grant, _request.MaxItems - fresh, mine: false);
                if (page.Count < pageSize) break;
                page = null;
            }
            if (goneFound && fresh < _request.MaxItems)
            {
                // A worker of this machine was found gone just now: its claims are free, look again for them.
                var taken = new HashSet<string>(picked.Select(f => f.Name), StringComparer.Ordinal);
                after = -1;
                while (fresh < _request.MaxItems)
                {
                    page = Select(Candidates, c => CandidateParameters(c, after)).Where(f => !taken.Contains(f.Name)).ToList();
                    if (page.Count == 0) break;
                    after = page[page.Count - 1].Index;
                    fresh += Decide(page, now, picked, grant, _request.MaxItems - fresh, mine: false);
                }
            }
            Finish(grant, picked.Count > 0 ? picked.OrderBy(f => f.Index).ToList() : null, requestId, lease);
            return grant;
        }

        // As many candidates as asked for: each is row-locked (a WAL record) though not taken, and the
        // SQL already leaves out what the core would refuse but for a rare case (a blocked or handed-out
        // feature), which costs one more page.
        private int PageSize => Math.Min(_request.MaxItems, 1000);

        /// <summary>A statement of the first round trip: the batch's key and max_attempts from its row, not yet read.</summary>
        private static string InFirst(string sql) => sql.Replace("@b", BatchKey, StringComparison.Ordinal).Replace("@max_attempts", BatchMaxAttempts, StringComparison.Ordinal);

        /// <summary>Looks at this machine's workers that hold claims: true when one is newly found gone.</summary>
        private bool NoteGone()
        {
            bool found = false;
            foreach (var (holder, _) in _heldHere)
            {
                if (holder.Equals(_request.Worker) || GoneHere.ContainsKey(holder)) continue;
                if (WorkerLiveness.MayBeAlive(holder)) continue;
                if (GoneHere.Count > 10000) GoneHere.Clear();
                GoneHere[holder] = true;
                found = true;
            }
            return found;
        }

        /// <summary>
        /// The last round trip: the UPDATE that takes <paramref name="picked"/> (tokens ascending in
        /// claim order), where the batch stands now (this transaction's claims included), COMMIT.
        /// </summary>
        private void Finish(ClaimGrant grant, List<Feature>? picked, Guid requestId, TimeSpan lease, bool stayOpen = false)
        {
            grant.Total = _batch.Total;
            grant.ConsecutiveFailures = _batch.ConsecutiveFailures;
            grant.MaxConsecutiveFailures = _batch.Settings.MaxConsecutiveFailures;
            bool anyClaimed = picked != null || grant.Claimed.Count > 0;
            var sql = new StringBuilder();
            if (picked != null) sql.Append(Take).Append(";\n");
            sql.Append(Counts);
            if (!anyClaimed) sql.Append(";\n").Append(WaitingOnDependencies);
            if (!stayOpen)
            {
                sql.Append(";\nCOMMIT");
                _attempt.BeforeCommit();
            }
            using (var command = Command(sql.ToString(), _ => { }))
            {
                if (picked != null)
                {
                    command.Parameters.Add(new NpgsqlParameter<int[]>("idx", picked.Select(f => f.Index).ToArray()));
                    command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", lease));
                    command.Parameters.Add(new NpgsqlParameter<Guid>("request", requestId));
                }
                using (var r = command.ExecuteReader())
                {
                    if (picked != null)
                    {
                        var taken = new List<Feature>();
                        while (r.Read()) taken.Add(ItemRow.Read(r));
                        grant.Claimed.AddRange(taken.OrderBy(f => f.ClaimToken));
                        r.NextResult();
                    }
                    r.Read();
                    grant.Remaining = r.GetInt32(0);
                    grant.HeldByOthers = r.GetInt32(1);
                    if (!anyClaimed && _request.IncludeFailed) grant.NextRetry = ItemRow.Date(r, 2);
                    if (!anyClaimed)
                    {
                        r.NextResult();
                        r.Read();
                        grant.WaitingForDependencies = r.GetBoolean(0);
                    }
                }
            }
            // Claims of this machine's other workers count only while their process lives.
            foreach (var (holder, count) in _heldHere)
                if (!holder.Equals(_request.Worker) && !GoneHere.ContainsKey(holder) && WorkerLiveness.MayBeAlive(holder)) grant.HeldByOthers += count;
        }

        private void Commit()
        {
            _attempt.BeforeCommit();
            using (var command = new NpgsqlCommand("COMMIT", _connection)) command.ExecuteNonQuery();
        }

        /// <summary>
        /// The core's verdict on each candidate, in order: ready ones picked (up to
        /// <paramref name="limit"/>), blocked ones recorded Skipped now. Returns how many it picked.
        /// </summary>
        private int Decide(List<Feature> candidates, DateTime now, List<Feature> picked, ClaimGrant grant, int limit, bool mine)
        {
            var dependencies = ReadDependencies(candidates);
            var partial = _batch.Partial(candidates.Concat(dependencies));
            int taken = 0;
            foreach (var row in candidates)
            {
                if (taken >= limit) break;
                var feature = partial.Find(row.Name)!;
                if (_request.HandedOut.TryGetValue(feature.Name, out int attemptsThen) && feature.Attempts <= attemptsThen) continue;
                // Another worker of this machine: free at once if its process is gone, else its lease holds.
                if (!mine && feature.IsClaimedAt(now) && WorkerLiveness.MayBeAlive(feature.ClaimedBy!)) continue;
                var readiness = partial.ReadinessOf(feature, _request.IncludeFailed, now);
                switch (readiness.Kind)
                {
                    case ReadinessKind.Ready:
                        picked.Add(feature);
                        taken++;
                        break;
                    case ReadinessKind.Blocked:
                        var before = new FeatureVersion(feature);
                        partial.Apply(readiness.Skip!, now, _address);
                        ItemWrite.Write(_db, _connection, null, _batch, before, feature, readiness.Skip!, null, out _);
                        grant.Blocked.Add(new KeyValuePair<string, string>(feature.Name, readiness.Reason!));
                        break;
                }
            }
            return taken;
        }

        /// <summary>The rows the candidates depend on (not locked: a dependency's state only moves on).</summary>
        private List<Feature> ReadDependencies(List<Feature> candidates)
        {
            var names = candidates.SelectMany(f => f.DependsOn).Distinct(StringComparer.Ordinal).ToArray();
            if (names.Length == 0) return new List<Feature>();
            return Select("SELECT " + ItemRow.Columns + " FROM {s}.item WHERE batch_key = @b AND md5(name) = ANY (SELECT md5(n) FROM unnest(@names) AS n) AND name = ANY (@names)",
                c => c.Parameters.Add(new NpgsqlParameter<string[]>("names", names)));
        }

        private void CandidateParameters(NpgsqlCommand command, int after)
        {
            var gone = GoneHere.Keys.Where(w => string.Equals(w.Host, Environment.MachineName, StringComparison.Ordinal)).ToList();
            command.Parameters.Add(new NpgsqlParameter<int>("after", after));
            command.Parameters.Add(new NpgsqlParameter<bool>("include_failed", _request.IncludeFailed));
            command.Parameters.Add(new NpgsqlParameter<int>("limit", PageSize));
            command.Parameters.Add(new NpgsqlParameter<int[]>("dead_pids", gone.Select(w => w.ProcessId).ToArray()));
            command.Parameters.Add(new NpgsqlParameter<string[]>("dead_sessions", gone.Select(w => w.Session).ToArray()));
        }

        private void WorkerParameters(NpgsqlCommand command)
        {
            var p = command.Parameters;
            p.Add(new NpgsqlParameter<string>("machine", Environment.MachineName));
            p.Add(new NpgsqlParameter<string>("host", _request.Worker.Host));
            p.Add(new NpgsqlParameter<int>("pid", _request.Worker.ProcessId));
            p.Add(new NpgsqlParameter<string>("session", _request.Worker.Session));
        }

        private NpgsqlCommand Command(string sql, Action<NpgsqlCommand> parameters)
        {
            var command = new NpgsqlCommand(_db.Sql(sql), _connection);
            command.Parameters.Add(new NpgsqlParameter<long>("b", _batch.Key));
            command.Parameters.Add(new NpgsqlParameter<int>("max_attempts", _batch.Settings.MaxAttempts));
            WorkerParameters(command);
            parameters(command);
            return command;
        }

        private List<Feature> Select(string sql, Action<NpgsqlCommand> parameters)
        {
            var rows = new List<Feature>();
            using (var command = Command(sql, parameters))
            using (var r = command.ExecuteReader())
                while (r.Read()) rows.Add(ItemRow.Read(r));
            return rows;
        }
    }
}
