using System;
using System.Text.Json;
using Npgsql;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>One row of the item table as a core <see cref="Feature"/>: the columns to select, and reading them.</summary>
    internal static class ItemRow
    {
        /// <summary>Select these (prefixed as needed) and read them with <see cref="Read"/>.</summary>
        internal const string Columns = "idx, name, status, attempts, last_error, completed_at, updated_at, data, permanent, retry_at, blocked_by, depends_on, claim_token, claimed_host, claimed_pid, claimed_session, claimed_at, lease_expires_at";

        internal const int ColumnCount = 18;

        /// <summary>The same columns of the table aliased <paramref name="alias"/>.</summary>
        internal static string ColumnsOf(string alias) => alias + "." + Columns.Replace(", ", ", " + alias + ".", StringComparison.Ordinal);

        internal static Feature Read(NpgsqlDataReader r, int at = 0)
        {
            var feature = new Feature(r.GetString(at + 1), r.GetInt32(at))
            {
                Status = ParseStatus(r.GetString(at + 2)),
                Attempts = r.GetInt32(at + 3),
                LastError = r.IsDBNull(at + 4) ? null : r.GetString(at + 4),
                CompletedAt = Date(r, at + 5),
                UpdatedAt = Date(r, at + 6),
                Data = r.IsDBNull(at + 7) ? (JsonElement?)null : ParseJson(r.GetString(at + 7)),
                Permanent = r.GetBoolean(at + 8),
                RetryAt = Date(r, at + 9),
                BlockedBy = r.IsDBNull(at + 10) ? null : r.GetString(at + 10),
                DependsOn = r.GetFieldValue<string[]>(at + 11),
                ClaimToken = r.GetInt64(at + 12),
            };
            if (!r.IsDBNull(at + 13))
            {
                feature.ClaimedBy = new WorkerIdentity(r.GetString(at + 13), r.GetInt32(at + 14), r.GetString(at + 15));
                feature.ClaimedAt = Date(r, at + 16);
                feature.LeaseExpiresAt = Date(r, at + 17);
            }
            return feature;
        }

        internal static string StatusText(FeatureStatus status) => status.ToString();

        internal static FeatureStatus ParseStatus(string text) => (FeatureStatus)Enum.Parse(typeof(FeatureStatus), text, ignoreCase: false);

        internal static DateTime? Date(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? (DateTime?)null : r.GetFieldValue<DateTime>(ordinal);

        internal static JsonElement ParseJson(string text)
        {
            using (var document = JsonDocument.Parse(text)) return document.RootElement.Clone();
        }
    }
}
