using System;
using System.Collections.Generic;
using System.Linq;
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
        // worker of this very machine (which may be dead: the client looks). Own live claims come
        // separately. Dependencies: rows that can only be waiting are left out here; the core decides the rest.
        private const string Candidates = @"
SELECT " + ItemRow.Columns + @"
FROM {s}.item i
WHERE i.batch_key = @b AND i.idx > @after
  AND i.status IN ('Pending', 'Failed')
  AND (i.status = 'Pending' OR (@include_failed AND NOT i.permanent AND i.attempts < @max_attempts AND (i.retry_at IS NULL OR i.retry_at <= now())))
  AND (i.claimed_host IS NULL OR i.lease_expires_at <= now()
       OR (i.claimed_host = @machine AND NOT (i.claimed_host = @host AND i.claimed_pid = @pid AND i.claimed_session = @session)))
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

        private static readonly string Take = @"
UPDATE {s}.item i SET claim_token = t.token, claimed_host = @host, claimed_pid = @pid, claimed_session = @session,
    claimed_at = now(), lease_expires_at = now() + @lease, claim_request = @request
FROM unnest(@idx, @tokens) AS t(idx, token)
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

        private readonly PgDatabase _db;
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _tx;
        private readonly BatchRow _batch;
        private readonly ClaimRequest _request;
        private readonly string _address;

        internal PgClaim(PgDatabase db, NpgsqlConnection connection, NpgsqlTransaction tx, BatchRow batch, ClaimRequest request, string address)
        {
            _db = db;
            _connection = connection;
            _tx = tx;
            _batch = batch;
            _request = request;
            _address = address;
        }

        /// <summary>
        /// The claims a try that may have committed made (found by their request id), as a grant;
        /// null when it made none.
        /// </summary>
        internal ClaimGrant? Earlier(Guid requestId, TimeSpan lease)
        {
            var claimed = Select(EarlierSql, c => c.Parameters.Add(new NpgsqlParameter<Guid>("request", requestId)));
            if (claimed.Count == 0) return null;
            var grant = new ClaimGrant { Lease = lease };
            grant.Claimed.AddRange(claimed);
            Complete(grant, picked: true);
            return grant;
        }

        internal ClaimGrant Run(Guid requestId, DateTime now, TimeSpan lease)
        {
            var grant = new ClaimGrant { Lease = lease };
            if (_batch.BreakerOpen)
            {
                Complete(grant, picked: false);
                if (grant.Remaining > 0)
                {
                    grant.Suspended = true;
                    grant.NextRetry = null;
                    grant.HeldByOthers = 0;
                    grant.WaitingForDependencies = false;
                    return grant;
                }
            }
            var picked = new List<Feature>();
            if (_request.ReclaimOwn)
            {
                var own = Select(OwnLive, WorkerParameters);
                Decide(own, now, picked, grant, limit: int.MaxValue, mine: true);
            }
            int fresh = 0;
            int after = -1;
            int pageSize = Math.Min(_request.MaxItems * 2 + 16, 1000);
            while (fresh < _request.MaxItems)
            {
                var page = Select(Candidates, c =>
                {
                    WorkerParameters(c);
                    c.Parameters.Add(new NpgsqlParameter<int>("after", after));
                    c.Parameters.Add(new NpgsqlParameter<bool>("include_failed", _request.IncludeFailed));
                    c.Parameters.Add(new NpgsqlParameter<int>("limit", pageSize));
                });
                if (page.Count == 0) break;
                after = page[page.Count - 1].Index;
                fresh += Decide(page, now, picked, grant, _request.MaxItems - fresh, mine: false);
                if (page.Count < pageSize) break;
            }
            if (picked.Count > 0) grant.Claimed.AddRange(TakeAll(picked.OrderBy(f => f.Index).ToList(), requestId, lease));
            Complete(grant, picked: grant.Claimed.Count > 0);
            return grant;
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
                        ItemWrite.Write(_db, _connection, _tx, _batch.Key, _batch.Settings.MaxAttempts, before, feature, readiness.Skip!, null, out _);
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

        /// <summary>Claims the picked rows (locked by this transaction): tokens ascending in claim order.</summary>
        private List<Feature> TakeAll(List<Feature> picked, Guid requestId, TimeSpan lease)
        {
            var tokens = new List<long>(picked.Count);
            using (var next = new NpgsqlCommand(_db.Sql("SELECT nextval('{s}.claim_token') FROM generate_series(1, @n)"), _connection, _tx))
            {
                next.Parameters.Add(new NpgsqlParameter<int>("n", picked.Count));
                using (var r = next.ExecuteReader())
                    while (r.Read()) tokens.Add(r.GetInt64(0));
            }
            tokens.Sort();
            var taken = Select(Take, c =>
            {
                WorkerParameters(c);
                c.Parameters.Add(new NpgsqlParameter<int[]>("idx", picked.Select(f => f.Index).ToArray()));
                c.Parameters.Add(new NpgsqlParameter<long[]>("tokens", tokens.ToArray()));
                c.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", lease));
                c.Parameters.Add(new NpgsqlParameter<Guid>("request", requestId));
            });
            return taken.OrderBy(f => f.ClaimToken).ToList();
        }

        /// <summary>Where the batch stands now (this transaction's claims included), for the grant.</summary>
        private void Complete(ClaimGrant grant, bool picked)
        {
            grant.Total = _batch.Total;
            grant.ConsecutiveFailures = _batch.ConsecutiveFailures;
            grant.MaxConsecutiveFailures = _batch.Settings.MaxConsecutiveFailures;
            using (var counts = Command(Counts, WorkerParameters))
            using (var r = counts.ExecuteReader())
            {
                r.Read();
                grant.Remaining = r.GetInt32(0);
                grant.HeldByOthers = r.GetInt32(1);
                if (!picked && _request.IncludeFailed) grant.NextRetry = ItemRow.Date(r, 2);
            }
            // Claims of this machine's other workers count only while their process lives.
            using (var here = Command(HeldHere, WorkerParameters))
            using (var r = here.ExecuteReader())
                while (r.Read())
                {
                    var holder = new WorkerIdentity(Environment.MachineName, r.GetInt32(0), r.GetString(1));
                    if (!holder.Equals(_request.Worker) && WorkerLiveness.MayBeAlive(holder)) grant.HeldByOthers += r.GetInt32(2);
                }
            if (!picked)
                using (var waiting = Command(WaitingOnDependencies, _ => { }))
                    grant.WaitingForDependencies = (bool)waiting.ExecuteScalar()!;
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
            var command = new NpgsqlCommand(_db.Sql(sql), _connection, _tx);
            command.Parameters.Add(new NpgsqlParameter<long>("b", _batch.Key));
            command.Parameters.Add(new NpgsqlParameter<int>("max_attempts", _batch.Settings.MaxAttempts));
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
