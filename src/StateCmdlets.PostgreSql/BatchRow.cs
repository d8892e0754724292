using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Npgsql;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// One row of the batch table: the batch's settings and batch-wide counters. The items are rows
    /// of their own; <see cref="ToBatch"/> puts both together as a core <see cref="Batch"/>, whole for
    /// a Load, or with only the items one operation touches so the core's rules decide for them.
    /// </summary>
    internal sealed class BatchRow
    {
        /// <summary>Select these (with <c>now()</c> first) and read them with <see cref="Read"/>.</summary>
        internal const string Columns = "batch_key, batch_id, name, created_at, updated_at, total, max_attempts, max_consecutive_failures, retry_delay, max_retry_delay, context_token_limit, lease, permanent_error_types, consecutive_failures, context_base, context_clears, checkpoint_count, last_checkpoint_at, extensions, create_request";

        internal const int ColumnCount = 20;

        /// <summary>The same columns of the table aliased <paramref name="alias"/>.</summary>
        internal static string ColumnsOf(string alias) => alias + "." + Columns.Replace(", ", ", " + alias + ".", StringComparison.Ordinal);

        private BatchRow(long key, string batchId, string name, DateTime createdAt, DateTime updatedAt, int total, BatchSettings settings)
        {
            Key = key;
            BatchId = batchId;
            Name = name;
            CreatedAt = createdAt;
            UpdatedAt = updatedAt;
            Total = total;
            Settings = settings;
        }

        internal long Key { get; }

        internal string BatchId { get; }

        internal string Name { get; }

        internal DateTime CreatedAt { get; }

        internal DateTime UpdatedAt { get; }

        internal int Total { get; }

        internal BatchSettings Settings { get; }

        internal int ConsecutiveFailures { get; private set; }

        internal decimal ContextBase { get; private set; }

        internal List<ContextClear> ContextClears { get; } = new List<ContextClear>();

        internal int CheckpointCount { get; private set; }

        internal DateTime? LastCheckpointAt { get; private set; }

        internal JsonElement? Extensions { get; private set; }

        internal Guid? CreateRequest { get; private set; }

        /// <summary>The batch's circuit breaker is open, if anything is left (the caller knows that).</summary>
        internal bool BreakerOpen => Settings.MaxConsecutiveFailures > 0 && ConsecutiveFailures >= Settings.MaxConsecutiveFailures;

        internal static BatchRow Read(NpgsqlDataReader r, int at = 0)
        {
            var settings = new BatchSettings
            {
                MaxAttempts = r.GetInt32(at + 6),
                MaxConsecutiveFailures = r.GetInt32(at + 7),
                RetryDelay = r.GetTimeSpan(at + 8),
                MaxRetryDelay = r.GetTimeSpan(at + 9),
                ContextTokenLimit = r.GetInt64(at + 10),
                Lease = r.GetTimeSpan(at + 11),
                PermanentErrorTypes = r.GetFieldValue<string[]>(at + 12),
            };
            var row = new BatchRow(r.GetInt64(at), r.GetString(at + 1), r.GetString(at + 2), r.GetFieldValue<DateTime>(at + 3), r.GetFieldValue<DateTime>(at + 4), r.GetInt32(at + 5), settings)
            {
                ConsecutiveFailures = r.GetInt32(at + 13),
                ContextBase = r.GetDecimal(at + 14),
                CheckpointCount = r.GetInt32(at + 16),
                LastCheckpointAt = ItemRow.Date(r, at + 17),
                Extensions = r.IsDBNull(at + 18) ? (JsonElement?)null : ItemRow.ParseJson(r.GetString(at + 18)),
                CreateRequest = r.IsDBNull(at + 19) ? (Guid?)null : r.GetGuid(at + 19),
            };
            using (var clears = JsonDocument.Parse(r.GetString(at + 15)))
                foreach (var clear in clears.RootElement.EnumerateArray())
                    row.ContextClears.Add(new ContextClear(clear.GetProperty("at").GetDateTime().ToUniversalTime(), clear.GetProperty("tokensBefore").GetInt64()));
            return row;
        }

        /// <summary>
        /// The whole batch (every item given) as the core sees it; <paramref name="contextSum"/> is the
        /// items' context tokens added up.
        /// </summary>
        internal Batch ToBatch(List<Feature> features, decimal contextSum, SchemaVersion schemaVersion)
        {
            DateTime updated = features.Select(f => f.UpdatedAt ?? DateTime.MinValue).DefaultIfEmpty(DateTime.MinValue).Max();
            var batch = new Batch(BatchId, Name, CreatedAt, updated > UpdatedAt ? updated : UpdatedAt, Settings, schemaVersion, features)
            {
                Extensions = Extensions,
            };
            decimal tokens = contextSum - ContextBase;
            batch.Restore(tokens >= long.MaxValue ? long.MaxValue : tokens <= 0 ? 0 : (long)tokens, ContextClears, ConsecutiveFailures, CheckpointCount, LastCheckpointAt);
            batch.RestoreClaims(features.Count == 0 ? 0 : features.Max(f => f.ClaimToken));
            return batch;
        }

        /// <summary>
        /// A batch of only these items (those one operation reads, and what they depend on), with the
        /// breaker's count: enough for <see cref="Batch.Prepare"/>, <see cref="Batch.Apply"/> and
        /// <see cref="Batch.ReadinessOf(Feature, bool, DateTime)"/> to decide about them. Its totals mean nothing.
        /// </summary>
        internal Batch Partial(IEnumerable<Feature> features)
        {
            var distinct = new List<Feature>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var feature in features)
                if (seen.Add(feature.Name)) distinct.Add(feature);
            var batch = new Batch(BatchId, Name, CreatedAt, UpdatedAt, Settings, PgSchema.Current, distinct);
            batch.Restore(0, Array.Empty<ContextClear>(), ConsecutiveFailures, CheckpointCount, LastCheckpointAt);
            return batch;
        }
    }
}
