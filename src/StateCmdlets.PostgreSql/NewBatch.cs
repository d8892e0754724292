using System;
using System.Linq;
using Npgsql;
using NpgsqlTypes;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// Inserts a whole batch (Create, Import) inside the caller's transaction: its row, then every
    /// item by binary COPY (one round trip for thousands of items), then the token sequence moved past
    /// any token the batch brings along, so later claims still get higher ones.
    /// </summary>
    internal static class NewBatch
    {
        private const string InsertBatch = @"
INSERT INTO {s}.batch (batch_id, name, created_at, updated_at, total, max_attempts, max_consecutive_failures, retry_delay, max_retry_delay,
    context_token_limit, lease, permanent_error_types, consecutive_failures, context_base, context_clears, checkpoint_count, last_checkpoint_at, extensions, create_request)
VALUES (@id, @name, @created_at, @updated_at, @total, @max_attempts, @max_consecutive_failures, @retry_delay, @max_retry_delay,
    @context_token_limit, @lease, @permanent_error_types, @consecutive_failures, @context_base, @context_clears::jsonb, @checkpoint_count, @last_checkpoint_at, @extensions, @request)
RETURNING batch_key";

        private const string CopyItems = "COPY {s}.item (batch_key, idx, name, status, attempts, last_error, completed_at, updated_at, data, permanent, retry_at, blocked_by, depends_on, claim_token, claimed_host, claimed_pid, claimed_session, claimed_at, lease_expires_at) FROM STDIN (FORMAT BINARY)";

        internal static long Insert(PgDatabase db, NpgsqlConnection connection, NpgsqlTransaction tx, Batch batch, Guid request)
        {
            long key;
            using (var command = new NpgsqlCommand(db.Sql(InsertBatch), connection, tx))
            {
                var s = batch.Settings;
                var p = command.Parameters;
                p.Add(new NpgsqlParameter<string>("id", batch.BatchId));
                p.Add(new NpgsqlParameter<string>("name", batch.Name));
                p.Add(new NpgsqlParameter<DateTime>("created_at", Utc(batch.CreatedAt)));
                p.Add(new NpgsqlParameter<DateTime>("updated_at", Utc(batch.UpdatedAt)));
                p.Add(new NpgsqlParameter<int>("total", batch.Total));
                p.Add(new NpgsqlParameter<int>("max_attempts", s.MaxAttempts));
                p.Add(new NpgsqlParameter<int>("max_consecutive_failures", s.MaxConsecutiveFailures));
                p.Add(new NpgsqlParameter<TimeSpan>("retry_delay", s.RetryDelay));
                p.Add(new NpgsqlParameter<TimeSpan>("max_retry_delay", s.MaxRetryDelay));
                p.Add(new NpgsqlParameter<long>("context_token_limit", s.ContextTokenLimit));
                p.Add(new NpgsqlParameter<TimeSpan>("lease", s.Lease));
                p.Add(new NpgsqlParameter<string[]>("permanent_error_types", s.PermanentErrorTypes.ToArray()));
                p.Add(new NpgsqlParameter<int>("consecutive_failures", batch.ConsecutiveFailures));
                // No item has tokens yet: the batch's own estimate (an import's) is carried by the base.
                p.Add(new NpgsqlParameter<decimal>("context_base", -(decimal)batch.ContextTokens));
                p.Add(new NpgsqlParameter<string>("context_clears", ClearsJson(batch)));
                p.Add(new NpgsqlParameter<int>("checkpoint_count", batch.CheckpointCount));
                p.Add(ItemWrite.Nullable("last_checkpoint_at", NpgsqlDbType.TimestampTz, batch.LastCheckpointAt.HasValue ? Utc(batch.LastCheckpointAt.Value) : (object?)null));
                p.Add(ItemWrite.Nullable("extensions", NpgsqlDbType.Json, batch.Extensions?.GetRawText()));
                p.Add(new NpgsqlParameter<Guid>("request", request));
                key = (long)command.ExecuteScalar()!;
            }
            using (var importer = connection.BeginBinaryImport(db.Sql(CopyItems)))
            {
                foreach (var f in batch.Features)
                {
                    importer.StartRow();
                    importer.Write(key, NpgsqlDbType.Bigint);
                    importer.Write(f.Index, NpgsqlDbType.Integer);
                    importer.Write(f.Name, NpgsqlDbType.Text);
                    importer.Write(ItemRow.StatusText(f.Status), NpgsqlDbType.Text);
                    importer.Write(f.Attempts, NpgsqlDbType.Integer);
                    WriteOrNull(importer, f.LastError, NpgsqlDbType.Text);
                    WriteOrNull(importer, f.CompletedAt.HasValue ? Utc(f.CompletedAt.Value) : (object?)null, NpgsqlDbType.TimestampTz);
                    WriteOrNull(importer, f.UpdatedAt.HasValue ? Utc(f.UpdatedAt.Value) : (object?)null, NpgsqlDbType.TimestampTz);
                    WriteOrNull(importer, f.Data?.GetRawText(), NpgsqlDbType.Json);
                    importer.Write(f.Permanent, NpgsqlDbType.Boolean);
                    WriteOrNull(importer, f.RetryAt.HasValue ? Utc(f.RetryAt.Value) : (object?)null, NpgsqlDbType.TimestampTz);
                    WriteOrNull(importer, f.BlockedBy, NpgsqlDbType.Text);
                    importer.Write(f.DependsOn.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text);
                    importer.Write(f.ClaimToken, NpgsqlDbType.Bigint);
                    WriteOrNull(importer, f.ClaimedBy?.Host, NpgsqlDbType.Text);
                    WriteOrNull(importer, f.ClaimedBy?.ProcessId, NpgsqlDbType.Integer);
                    WriteOrNull(importer, f.ClaimedBy?.Session, NpgsqlDbType.Text);
                    WriteOrNull(importer, f.ClaimedBy != null && f.ClaimedAt.HasValue ? Utc(f.ClaimedAt.Value) : (object?)null, NpgsqlDbType.TimestampTz);
                    WriteOrNull(importer, f.ClaimedBy != null && f.LeaseExpiresAt.HasValue ? Utc(f.LeaseExpiresAt.Value) : (object?)null, NpgsqlDbType.TimestampTz);
                }
                importer.Complete();
            }
            long highest = batch.Features.Count == 0 ? 0 : batch.Features.Max(f => f.ClaimToken);
            if (highest > 0)
                using (var bump = new NpgsqlCommand(db.Sql("SELECT setval('{s}.claim_token', GREATEST(@t, (SELECT last_value FROM {s}.claim_token)))"), connection, tx))
                {
                    bump.Parameters.Add(new NpgsqlParameter<long>("t", highest));
                    bump.ExecuteNonQuery();
                }
            return key;
        }

        private static void WriteOrNull(NpgsqlBinaryImporter importer, object? value, NpgsqlDbType type)
        {
            if (value == null) importer.WriteNull();
            else importer.Write(value, type);
        }

        private static DateTime Utc(DateTime value) => value.Kind == DateTimeKind.Utc ? value : DateTime.SpecifyKind(value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value, DateTimeKind.Utc);

        private static string ClearsJson(Batch batch) => System.Text.Encoding.UTF8.GetString(Core.Json.JsonText.WriteCompact(w =>
        {
            w.WriteStartArray();
            foreach (var clear in batch.ContextClears)
            {
                w.WriteStartObject();
                w.WriteString("at", Utc(clear.At));
                w.WriteNumber("tokensBefore", clear.TokensBefore);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }));
    }
}
