using System;
using Npgsql;
using NpgsqlTypes;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// Records one result on its item row in a single statement that is its own fencing check: the
    /// UPDATE matches only while the row still has the status, attempt count and claim token the
    /// result was checked against (<see cref="Batch.Prepare"/>), so a claim lost or a result recorded
    /// since makes it match nothing, and nothing is written. In the same statement: the request id
    /// (so a retry after a lost commit can tell it committed) and the circuit breaker's count.
    /// </summary>
    internal static class ItemWrite
    {
        // Times are written by the database's clock: @now is the clock the result was prepared with,
        // and each time goes in as now() plus its distance from @now (a retry's backoff, say).
        private const string Record = @"
WITH rec AS (
    UPDATE {s}.item SET status = @status, attempts = @attempts, updated_at = now(), completed_at = now() + (@completed_at - @now),
        last_error = @last_error, permanent = @permanent, retry_at = now() + (@retry_at - @now), blocked_by = @blocked_by,
        data = CASE WHEN @set_data THEN @data ELSE data END,
        context_tokens = CASE WHEN context_tokens > 9223372036854775807 - @tokens THEN 9223372036854775807 ELSE context_tokens + @tokens END,
        claimed_host = NULL, claimed_pid = NULL, claimed_session = NULL, claimed_at = NULL, lease_expires_at = NULL, claim_request = NULL
    WHERE batch_key = @b AND idx = @idx AND status = @old_status AND attempts = @old_attempts AND claim_token = @old_token
      AND EXISTS (SELECT 1 FROM {s}.batch WHERE batch_key = @b AND create_request IS NOT DISTINCT FROM @create_request)
    RETURNING " + ItemRow.Columns + @"),
ack AS (
    INSERT INTO {s}.applied_request (request_id, batch_key) SELECT @request, @b FROM rec WHERE @has_request),
breaker AS (
    UPDATE {s}.batch SET consecutive_failures = CASE WHEN @status = 'Failed' THEN consecutive_failures + 1 ELSE 0 END
    WHERE batch_key = @b AND EXISTS (SELECT 1 FROM rec) AND (@status = 'Failed' OR (@status = 'Completed' AND consecutive_failures <> 0)))
SELECT (SELECT count(*) FROM {s}.item WHERE batch_key = @b AND " + Todo.Sql + @")::int, rec.* FROM (SELECT 1) AS one LEFT JOIN rec ON true";

        /// <summary>
        /// Writes <paramref name="after"/> (the feature once <paramref name="recorded"/> is applied)
        /// over the row if it still is as <paramref name="before"/> was read, in the batch
        /// <paramref name="batch"/> was read from (not one made again under the same id since).
        /// Returns the row as written, or null when nothing was; and how many features were left to
        /// do before it (from the statement's own snapshot).
        /// </summary>
        internal static Feature? Write(PgDatabase db, NpgsqlConnection connection, NpgsqlTransaction? tx, BatchRow batch, FeatureVersion before,
            Feature after, FeatureResult recorded, Guid? request, out int remainingBefore)
        {
            using (var command = new NpgsqlCommand(db.Sql(Record), connection, tx))
            {
                var p = command.Parameters;
                p.Add(new NpgsqlParameter<string>("status", ItemRow.StatusText(after.Status)));
                p.Add(new NpgsqlParameter<int>("attempts", after.Attempts));
                p.Add(new NpgsqlParameter<DateTime>("now", after.UpdatedAt!.Value));
                p.Add(Nullable("completed_at", NpgsqlDbType.TimestampTz, after.CompletedAt));
                p.Add(Nullable("last_error", NpgsqlDbType.Text, after.LastError));
                p.Add(new NpgsqlParameter<bool>("permanent", after.Permanent));
                p.Add(Nullable("retry_at", NpgsqlDbType.TimestampTz, after.RetryAt));
                p.Add(Nullable("blocked_by", NpgsqlDbType.Text, after.BlockedBy));
                p.Add(new NpgsqlParameter<bool>("set_data", recorded.Data.HasValue));
                p.Add(Nullable("data", NpgsqlDbType.Json, recorded.Data?.GetRawText()));
                p.Add(new NpgsqlParameter<long>("tokens", recorded.ContextTokens));
                p.Add(new NpgsqlParameter<long>("b", batch.Key));
                p.Add(Nullable("create_request", NpgsqlDbType.Uuid, batch.CreateRequest));
                p.Add(new NpgsqlParameter<int>("idx", after.Index));
                p.Add(new NpgsqlParameter<string>("old_status", ItemRow.StatusText(before.Status)));
                p.Add(new NpgsqlParameter<int>("old_attempts", before.Attempts));
                p.Add(new NpgsqlParameter<long>("old_token", before.ClaimToken));
                p.Add(new NpgsqlParameter<Guid>("request", request ?? Guid.Empty));
                p.Add(new NpgsqlParameter<bool>("has_request", request.HasValue));
                p.Add(new NpgsqlParameter<int>("max_attempts", batch.Settings.MaxAttempts));
                using (var r = command.ExecuteReader())
                {
                    r.Read();
                    remainingBefore = r.GetInt32(0);
                    return r.IsDBNull(1) ? null : ItemRow.Read(r, 1);
                }
            }
        }

        internal static NpgsqlParameter Nullable(string name, NpgsqlDbType type, object? value) =>
            new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value };
    }
}
