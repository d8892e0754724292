using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// The batch snapshot file (B.json): writing it, and reading it back with full validation,
    /// migration of older versions in memory, and refusal of newer majors.
    /// </summary>
    internal static class BatchDocument
    {
        private static readonly HashSet<string> TopLevel = new HashSet<string>(StringComparer.Ordinal)
        { SchemaMigrator.VersionProperty, GenerationProperty, SequenceProperty, "batchId", "name", "createdAt", "updatedAt", "settings", "context", "consecutiveFailures", "checkpoints", "claims", "extensions", "features" };

        // Written right after schemaVersion, so a writer can check them by reading the first bytes only.
        internal const string GenerationProperty = "journalGeneration";
        internal const string SequenceProperty = "journalSequence";

        /// <summary>Enough to hold schemaVersion and the mark as this class writes them.</summary>
        internal const int MarkPrefixLength = 512;

        private static readonly HashSet<string> SettingsNames = new HashSet<string>(StringComparer.Ordinal)
        { "maxAttempts", "maxConsecutiveFailures", "retryDelaySeconds", "maxRetryDelaySeconds", "contextTokenLimit", "leaseSeconds", "permanentErrorTypes" };

        private static readonly HashSet<string> FeatureNames = new HashSet<string>(StringComparer.Ordinal)
        { "name", "status", "attempts", "lastError", "completedAt", "updatedAt", "data", "permanent", "retryAt", "blockedBy", "claimToken", "claim", "dependsOn" };

        internal static byte[] Serialize(Batch batch, SnapshotMark mark) => JsonText.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString(SchemaMigrator.VersionProperty, batch.SchemaVersion.ToString());
            if (mark.Generation != null) w.WriteString(GenerationProperty, mark.Generation);
            w.WriteNumber(SequenceProperty, mark.Sequence);
            w.WriteString("batchId", batch.BatchId);
            w.WriteString("name", batch.Name);
            w.WriteString("createdAt", JsonText.FormatDate(batch.CreatedAt));
            w.WriteString("updatedAt", JsonText.FormatDate(batch.UpdatedAt));
            var s = batch.Settings;
            w.WriteStartObject("settings");
            w.WriteNumber("maxAttempts", s.MaxAttempts);
            w.WriteNumber("maxConsecutiveFailures", s.MaxConsecutiveFailures);
            w.WriteNumber("retryDelaySeconds", s.RetryDelay.TotalSeconds);
            w.WriteNumber("maxRetryDelaySeconds", s.MaxRetryDelay.TotalSeconds);
            w.WriteNumber("contextTokenLimit", s.ContextTokenLimit);
            w.WriteNumber("leaseSeconds", s.Lease.TotalSeconds);
            w.WriteStartArray("permanentErrorTypes");
            foreach (string type in s.PermanentErrorTypes) w.WriteStringValue(type);
            w.WriteEndArray();
            WriteUnknown(w, batch.UnknownSettings);
            w.WriteEndObject();
            w.WriteStartObject("context");
            w.WriteNumber("tokens", batch.ContextTokens);
            w.WriteStartArray("clears");
            foreach (var clear in batch.ContextClears)
            {
                w.WriteStartObject();
                w.WriteString("at", JsonText.FormatDate(clear.At));
                w.WriteNumber("tokensBefore", clear.TokensBefore);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteNumber("consecutiveFailures", batch.ConsecutiveFailures);
            w.WriteStartObject("checkpoints");
            w.WriteNumber("count", batch.CheckpointCount);
            if (batch.LastCheckpointAt.HasValue) w.WriteString("lastAt", JsonText.FormatDate(batch.LastCheckpointAt.Value));
            w.WriteEndObject();
            w.WriteStartObject("claims");
            w.WriteNumber("lastToken", batch.LastClaimToken);
            w.WriteEndObject();
            if (batch.Extensions.HasValue)
            {
                w.WritePropertyName("extensions");
                JsonElementWriter.Write(w, batch.Extensions.Value);
            }
            w.WriteStartArray("features");
            foreach (var f in batch.Features)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                w.WriteString("status", f.Status.ToString());
                w.WriteNumber("attempts", f.Attempts);
                if (f.LastError != null) w.WriteString("lastError", f.LastError);
                if (f.CompletedAt.HasValue) w.WriteString("completedAt", JsonText.FormatDate(f.CompletedAt.Value));
                if (f.UpdatedAt.HasValue) w.WriteString("updatedAt", JsonText.FormatDate(f.UpdatedAt.Value));
                if (f.Data.HasValue)
                {
                    w.WritePropertyName("data");
                    JsonElementWriter.Write(w, f.Data.Value);
                }
                if (f.Permanent) w.WriteBoolean("permanent", true);
                if (f.RetryAt.HasValue) w.WriteString("retryAt", JsonText.FormatDate(f.RetryAt.Value));
                if (f.BlockedBy != null) w.WriteString("blockedBy", f.BlockedBy);
                if (f.ClaimToken > 0) w.WriteNumber("claimToken", f.ClaimToken);
                if (f.ClaimedBy != null)
                {
                    w.WriteStartObject("claim");
                    JournalCodec.WriteWorker(w, f.ClaimedBy);
                    w.WriteString("at", JsonText.FormatDate(f.ClaimedAt!.Value));
                    w.WriteString("expiresAt", JsonText.FormatDate(f.LeaseExpiresAt!.Value));
                    w.WriteEndObject();
                }
                if (f.DependsOn.Count > 0)
                {
                    w.WriteStartArray("dependsOn");
                    foreach (string on in f.DependsOn) w.WriteStringValue(on);
                    w.WriteEndArray();
                }
                WriteUnknown(w, f.UnknownProperties);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteUnknown(w, batch.UnknownProperties);
            w.WriteEndObject();
        });

        /// <summary>
        /// Reads a snapshot. Throws <see cref="StateFileCorruptException"/> for anything malformed and
        /// <see cref="StateVersionTooNewException"/> for a newer major version; never repairs silently.
        /// </summary>
        internal static Batch Deserialize(byte[] bytes, string path, string expectedBatchId, SchemaMigrator migrator, out SchemaVersion fileVersion, out SnapshotMark mark)
        {
            using var document = JsonText.Parse(bytes, path);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new StateFileCorruptException(path, null, $"the top level is a JSON {root.ValueKind}, not an object.");
            // Every batch, of any version, has these: without both, the file is another program's, not a damaged batch.
            if (!root.TryGetProperty("batchId", out _) && !root.TryGetProperty("features", out _))
                throw new StateFileCorruptException(path, null, "it is JSON with none of a batch's fields (batchId, features): another program's file, such as a state file saved with Save-StateFile. Keep such files out of the state directory.", CorruptionKind.NotABatch);

            var version = ReadVersion(root, path);
            fileVersion = version;
            mark = ReadMark(root, path);
            switch (migrator.Assess(version))
            {
                case MigrationNeed.TooNew:
                    throw new StateVersionTooNewException(path, version.ToString(), migrator.Current.ToString());
                case MigrationNeed.Unknown:
                    throw new StateFileCorruptException(path, null, $"schema version {version} is not one this module knows how to migrate.");
                case MigrationNeed.Migrate:
                    var node = JsonNode.Parse(root.GetRawText()) as JsonObject
                        ?? throw new StateFileCorruptException(path, null, "the top level is not an object.");
                    var migrated = migrator.Migrate(node, version);
                    using (var upgraded = JsonDocument.Parse(migrated.ToJsonString()))
                        return Map(upgraded.RootElement, path, expectedBatchId, version);
                default:
                    return Map(root, path, expectedBatchId, version);
            }
        }

        /// <summary>
        /// The journal mark from the first bytes of a snapshot, or null when it is not where this
        /// class writes it (then the caller reads the whole file).
        /// </summary>
        internal static SnapshotMark? TryReadMark(byte[] prefix)
        {
            try
            {
                var reader = new Utf8JsonReader(prefix, isFinalBlock: false, state: default);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
                string? generation = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    if (!reader.Read()) return null;
                    if (name == SchemaMigrator.VersionProperty && reader.TokenType == JsonTokenType.String) continue;
                    if (name == GenerationProperty && reader.TokenType == JsonTokenType.String)
                    {
                        generation = reader.GetString();
                        continue;
                    }
                    if (name == SequenceProperty && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long sequence))
                        return new SnapshotMark(generation, sequence);
                    return null;
                }
                return null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static SnapshotMark ReadMark(JsonElement root, string path)
        {
            string? generation = null;
            long sequence = 0;
            if (root.TryGetProperty(GenerationProperty, out var g))
            {
                if (g.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(g.GetString()))
                    throw new StateFileCorruptException(path, null, $"{GenerationProperty} must be a non-empty string.");
                generation = g.GetString();
            }
            if (root.TryGetProperty(SequenceProperty, out var s))
            {
                if (!s.TryGetInt64(out sequence) || sequence < 0)
                    throw new StateFileCorruptException(path, null, $"{SequenceProperty} must be a whole number of at least 0.");
            }
            return new SnapshotMark(generation, sequence);
        }

        private static SchemaVersion ReadVersion(JsonElement root, string path)
        {
            if (!root.TryGetProperty(SchemaMigrator.VersionProperty, out var element)) return SchemaMigrator.Unversioned;
            if (element.ValueKind == JsonValueKind.String && SchemaVersion.TryParse(element.GetString(), out var version)) return version;
            throw new StateFileCorruptException(path, null, $"schemaVersion {element.GetRawText()} is not a major.minor.patch string.");
        }

        private static Batch Map(JsonElement root, string path, string expectedBatchId, SchemaVersion version)
        {
            var r = new Reader(path);
            string batchId = r.String(root, "batchId", required: true)!;
            if (!Batches.BatchId.IsValid(batchId)) throw r.Problem("batchId", $"'{batchId}' is not a valid batch id.");
            if (!string.Equals(batchId, expectedBatchId, StringComparison.Ordinal))
                throw r.Problem("batchId", $"the file holds batch '{batchId}' but is named for '{expectedBatchId}'; rename the file or fix batchId.");
            string name = r.String(root, "name", required: true)!;
            var createdAt = r.Date(root, "createdAt", required: true)!.Value;
            var updatedAt = r.Date(root, "updatedAt", required: true)!.Value;

            var batchSettings = new BatchSettings();
            Dictionary<string, JsonElement>? unknownSettings = null;
            if (root.TryGetProperty("settings", out var settings))
            {
                if (settings.ValueKind != JsonValueKind.Object) throw r.Problem("settings", "must be an object.");
                batchSettings.MaxAttempts = r.Int(settings, "maxAttempts", "settings.maxAttempts", minimum: 1) ?? batchSettings.MaxAttempts;
                batchSettings.MaxConsecutiveFailures = r.Int(settings, "maxConsecutiveFailures", "settings.maxConsecutiveFailures", minimum: 0) ?? batchSettings.MaxConsecutiveFailures;
                batchSettings.RetryDelay = TimeSpan.FromSeconds(r.Double(settings, "retryDelaySeconds", "settings.retryDelaySeconds") ?? 0);
                batchSettings.MaxRetryDelay = TimeSpan.FromSeconds(r.Double(settings, "maxRetryDelaySeconds", "settings.maxRetryDelaySeconds") ?? BatchSettings.DefaultMaxRetryDelay.TotalSeconds);
                batchSettings.ContextTokenLimit = r.Long(settings, "contextTokenLimit", "settings.contextTokenLimit", minimum: 1) ?? batchSettings.ContextTokenLimit;
                double? lease = r.Double(settings, "leaseSeconds", "settings.leaseSeconds");
                if (lease.HasValue)
                {
                    if (!(lease.Value >= BatchSettings.MinimumLease.TotalSeconds && lease.Value <= 86400)) throw r.Problem("settings.leaseSeconds", "must be from 1 to 86400.");
                    batchSettings.Lease = TimeSpan.FromSeconds(lease.Value);
                }
                batchSettings.PermanentErrorTypes = r.Strings(settings, "permanentErrorTypes", "settings.permanentErrorTypes");
                unknownSettings = Unknown(settings, SettingsNames);
            }

            if (!root.TryGetProperty("features", out var array) || array.ValueKind != JsonValueKind.Array)
                throw r.Problem("features", "is missing or not an array.");
            var features = new List<Feature>(array.GetArrayLength());
            var seen = new HashSet<string>(StringComparer.Ordinal);
            int index = 0;
            foreach (var item in array.EnumerateArray())
            {
                string at = $"features[{index}]";
                if (item.ValueKind != JsonValueKind.Object) throw r.Problem(at, "must be an object.");
                string featureName = r.String(item, "name", required: true, at + ".name")!;
                if (!seen.Add(featureName)) throw r.Problem(at + ".name", $"'{featureName}' appears more than once.");
                var feature = new Feature(featureName, index)
                {
                    Status = r.Status(item, at + ".status"),
                    Attempts = r.Int(item, "attempts", at + ".attempts", minimum: 0) ?? 0,
                    LastError = r.String(item, "lastError", required: false, at + ".lastError"),
                    CompletedAt = r.Date(item, "completedAt", required: false, at + ".completedAt"),
                    UpdatedAt = r.Date(item, "updatedAt", required: false, at + ".updatedAt"),
                    UnknownProperties = Unknown(item, FeatureNames),
                };
                if (item.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.Null) feature.Data = data.Clone();
                feature.Permanent = r.Bool(item, "permanent", at + ".permanent");
                feature.RetryAt = r.Date(item, "retryAt", required: false, at + ".retryAt");
                if (feature.Status == FeatureStatus.Skipped) feature.BlockedBy = r.String(item, "blockedBy", required: false, at + ".blockedBy");
                feature.ClaimToken = r.Long(item, "claimToken", at + ".claimToken", minimum: 0) ?? 0;
                if (item.TryGetProperty("claim", out var claim) && claim.ValueKind != JsonValueKind.Null)
                {
                    if (claim.ValueKind != JsonValueKind.Object) throw r.Problem(at + ".claim", "must be an object.");
                    feature.ClaimedBy = (claim.TryGetProperty("worker", out var worker) ? JournalCodec.ReadWorker(worker) : null)
                        ?? throw r.Problem(at + ".claim.worker", "must be an object with host, pid and session.");
                    feature.ClaimedAt = r.Date(claim, "at", required: true, at + ".claim.at");
                    feature.LeaseExpiresAt = r.Date(claim, "expiresAt", required: true, at + ".claim.expiresAt");
                }
                features.Add(feature);
                index++;
            }

            var batch = new Batch(batchId, name, createdAt, updatedAt, batchSettings, version, features)
            {
                UnknownProperties = Unknown(root, TopLevel),
                UnknownSettings = unknownSettings,
            };

            long tokens = 0;
            var clears = new List<ContextClear>();
            if (root.TryGetProperty("context", out var context))
            {
                if (context.ValueKind != JsonValueKind.Object) throw r.Problem("context", "must be an object.");
                tokens = r.Long(context, "tokens", "context.tokens", minimum: 0) ?? 0;
                if (context.TryGetProperty("clears", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    int i = 0;
                    foreach (var clear in list.EnumerateArray())
                    {
                        string at = $"context.clears[{i++}]";
                        clears.Add(new ContextClear(r.Date(clear, "at", required: true, at + ".at")!.Value, r.Long(clear, "tokensBefore", at + ".tokensBefore", minimum: 0) ?? 0));
                    }
                }
            }
            int consecutive = r.Int(root, "consecutiveFailures", "consecutiveFailures", minimum: 0) ?? 0;
            int checkpointCount = 0;
            DateTime? lastCheckpoint = null;
            if (root.TryGetProperty("checkpoints", out var checkpoints) && checkpoints.ValueKind == JsonValueKind.Object)
            {
                checkpointCount = r.Int(checkpoints, "count", "checkpoints.count", minimum: 0) ?? 0;
                lastCheckpoint = r.Date(checkpoints, "lastAt", required: false, "checkpoints.lastAt");
            }
            batch.Restore(tokens, clears, consecutive, checkpointCount, lastCheckpoint);
            if (root.TryGetProperty("claims", out var claims) && claims.ValueKind == JsonValueKind.Object)
                batch.RestoreClaims(r.Long(claims, "lastToken", "claims.lastToken", minimum: 0) ?? 0);
            long highest = batch.Features.Count == 0 ? 0 : batch.Features.Max(f => f.ClaimToken);
            if (highest > batch.LastClaimToken) throw r.Problem("claims.lastToken", $"is {batch.LastClaimToken}, below the token {highest} a feature holds.");
            if (root.TryGetProperty("extensions", out var extensions) && extensions.ValueKind != JsonValueKind.Null) batch.Extensions = extensions.Clone();

            // Dependencies are checked like those of a new batch: an unknown name or a cycle is damage.
            var dependencies = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            index = 0;
            foreach (var item in array.EnumerateArray())
            {
                var on = r.Strings(item, "dependsOn", $"features[{index++}].dependsOn");
                if (on.Count > 0) dependencies[item.GetProperty("name").GetString()!] = on;
            }
            try
            {
                if (dependencies.Count > 0) batch.SetDependencies(dependencies);
            }
            catch (InvalidBatchDefinitionException e)
            {
                throw r.Problem("dependsOn", e.Message);
            }
            return batch;
        }

        private static Dictionary<string, JsonElement>? Unknown(JsonElement element, HashSet<string> known)
        {
            Dictionary<string, JsonElement>? extra = null;
            foreach (var property in element.EnumerateObject())
            {
                if (known.Contains(property.Name)) continue;
                extra ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                extra[property.Name] = property.Value.Clone();
            }
            return extra;
        }

        private static void WriteUnknown(Utf8JsonWriter w, Dictionary<string, JsonElement>? extra)
        {
            if (extra == null) return;
            foreach (var pair in extra)
            {
                w.WritePropertyName(pair.Key);
                JsonElementWriter.Write(w, pair.Value);
            }
        }

        /// <summary>Typed reads that name the JSON path of whatever is wrong.</summary>
        private sealed class Reader
        {
            private readonly string _path;

            internal Reader(string path) => _path = path;

            internal StateFileCorruptException Problem(string at, string problem) =>
                new StateFileCorruptException(_path, null, $"{at} {problem}");

            internal string? String(JsonElement obj, string name, bool required, string? at = null)
            {
                at ??= name;
                if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                    return required ? throw Problem(at, "is missing.") : null;
                if (value.ValueKind != JsonValueKind.String) throw Problem(at, $"must be a string, not {value.GetRawText()}.");
                return value.GetString();
            }

            internal DateTime? Date(JsonElement obj, string name, bool required, string? at = null)
            {
                at ??= name;
                string? text = String(obj, name, required, at);
                if (text == null) return null;
                return JsonText.TryParseDate(text, out var date) ? date : throw Problem(at, $"'{text}' is not an ISO 8601 date.");
            }

            internal int? Int(JsonElement obj, string name, string at, int minimum)
            {
                if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int number))
                    throw Problem(at, $"must be a whole number, not {value.GetRawText()}.");
                if (number < minimum) throw Problem(at, $"must be at least {minimum}, not {number}.");
                return number;
            }

            internal long? Long(JsonElement obj, string name, string at, long minimum)
            {
                if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
                    throw Problem(at, $"must be a whole number, not {value.GetRawText()}.");
                if (number < minimum) throw Problem(at, $"must be at least {minimum}, not {number}.");
                return number;
            }

            internal double? Double(JsonElement obj, string name, string at)
            {
                if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || number < 0 || double.IsInfinity(number))
                    throw Problem(at, $"must be a number of at least 0, not {value.GetRawText()}.");
                return number;
            }

            internal bool Bool(JsonElement obj, string name, string at)
            {
                if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return false;
                if (value.ValueKind != JsonValueKind.True && value.ValueKind != JsonValueKind.False) throw Problem(at, $"must be true or false, not {value.GetRawText()}.");
                return value.GetBoolean();
            }

            internal IReadOnlyList<string> Strings(JsonElement obj, string name, string at)
            {
                if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return Array.Empty<string>();
                if (value.ValueKind != JsonValueKind.Array) throw Problem(at, "must be an array of strings.");
                var list = new List<string>();
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String) throw Problem(at, $"must hold strings only, not {item.GetRawText()}.");
                    list.Add(item.GetString()!);
                }
                return list;
            }

            internal FeatureStatus Status(JsonElement obj, string at)
            {
                string? text = String(obj, "status", required: false, at);
                if (text == null) return FeatureStatus.Pending;
                foreach (FeatureStatus status in Enum.GetValues(typeof(FeatureStatus)))
                    if (string.Equals(status.ToString(), text, StringComparison.Ordinal)) return status;
                throw Problem(at, $"'{text}' is not one of Pending, Completed, Failed, Skipped.");
            }
        }
    }
}
