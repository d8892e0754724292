using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Core.Batches.Import
{
    /// <summary>
    /// Reads a batch written by another tool: autonomous-dev's Python BatchStateManager (snake_case,
    /// features by index), or our own BatchState exported with ConvertTo-Json. Nothing is lost: what
    /// has no place in our model goes to the batch's Extensions verbatim.
    /// </summary>
    internal static class BatchImporter
    {
        // Origin fields fully carried by our model; every other field is kept in Extensions.
        private static readonly HashSet<string> OriginMapped = new HashSet<string>(StringComparer.Ordinal)
        { "batch_id", "features", "completed_features", "created_at", "updated_at" };

        /// <summary>Reads another tool's batch file from the disk (never changing it).</summary>
        public static IReadOnlyList<ImportedBatch> ReadFile(string sourcePath) => ReadFile(PhysicalFileSystem.Instance, sourcePath, DateTime.UtcNow);

        /// <summary>Reads another tool's batch file (never changing it).</summary>
        public static IReadOnlyList<ImportedBatch> ReadFile(IFileSystem fileSystem, string sourcePath, DateTime utcNow)
        {
            byte[] bytes;
            if (fileSystem.DirectoryExists(sourcePath))
                throw new InvalidBatchDefinitionException(StateErrorIds.UnknownBatchFormat, $"'{sourcePath}' is a folder: give the batch state file itself.");
            try
            {
                bytes = fileSystem.ReadAllBytes(sourcePath);
            }
            catch (Exception e) when (e is System.IO.FileNotFoundException || e is System.IO.DirectoryNotFoundException)
            {
                throw new StateFileNotFoundException(sourcePath);
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(sourcePath, "read", e);
            }
            return Read(bytes, sourcePath, utcNow);
        }

        /// <summary>
        /// Every batch in the file: one, or several when the file holds an array of exported batches
        /// (`Get-BatchState | ConvertTo-Json` with more than one batch).
        /// </summary>
        public static IReadOnlyList<ImportedBatch> Read(byte[] bytes, string path, DateTime utcNow)
        {
            try
            {
                return ReadAll(bytes, path, utcNow);
            }
            catch (Exception e) when (e is InvalidOperationException || e is FormatException || e is OverflowException || e is KeyNotFoundException)
            {
                // A field of the wrong JSON type ("1" for an index, null for a number) the readers below did not foresee.
                throw new StateFileCorruptException(path, null, $"a field has a value of the wrong type or range ({e.Message})", e);
            }
        }

        private static IReadOnlyList<ImportedBatch> ReadAll(byte[] bytes, string path, DateTime utcNow)
        {
            using var document = JsonText.Parse(bytes, path);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array) return new[] { ReadOne(root, path, utcNow) };
            var batches = new List<ImportedBatch>();
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("BatchId", out _))
                    throw new StateFileCorruptException(path, null, "the top level is an array of something other than exported batches (objects with BatchId and Features).");
                batches.Add(ReadOne(item, path, utcNow));
            }
            if (batches.Count == 0) throw new StateFileCorruptException(path, null, "the top level is an empty array: there is no batch in it.");
            return batches;
        }

        private static ImportedBatch ReadOne(JsonElement root, string path, DateTime utcNow)
        {
            if (root.ValueKind != JsonValueKind.Object)
                throw new StateFileCorruptException(path, null, "the top level is not a JSON object, so it is not a batch.");
            if (root.TryGetProperty("batch_id", out _)) return ReadOrigin(root, path, utcNow);
            if (root.TryGetProperty("BatchId", out _) && root.TryGetProperty("Features", out _)) return ReadExport(root, path, utcNow);
            throw new InvalidBatchDefinitionException(StateErrorIds.UnknownBatchFormat,
                $"'{path}' is neither an autonomous-dev batch state (batch_id, features, ...) nor an exported BatchState (BatchId, Features, ...).");
        }

        private static ImportedBatch ReadOrigin(JsonElement root, string path, DateTime utcNow)
        {
            var r = new Fields(path);
            string batchId = r.String(root, "batch_id")!;
            string? file = r.OptionalString(root, "features_file");
            var imported = new ImportedBatch(batchId, string.IsNullOrEmpty(file) ? batchId : file!, "autonomous-dev BatchStateManager", path)
            {
                CreatedAt = r.Date(root, "created_at"),
                UpdatedAt = r.Date(root, "updated_at"),
                ContextTokens = r.Long(root, "context_token_estimate") ?? 0,
                CheckpointCount = (int)(r.Long(root, "checkpoint_count") ?? 0),
                LastCheckpointAt = r.Date(root, "last_checkpoint_at"),
            };

            if (!root.TryGetProperty("features", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new StateFileCorruptException(path, null, "features is missing or not an array.");
            var names = new List<string>();
            var taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) throw new StateFileCorruptException(path, null, $"features[{names.Count}] is not a string.");
                // The origin allows the same text twice; our names are unique, so later copies get their index.
                string name = item.GetString()!;
                if (!taken.Add(name)) taken.Add(name = $"{name} [{names.Count}]");
                names.Add(name);
                imported.Features.Add(new Feature(name, names.Count - 1));
            }

            Feature At(int index, string field) =>
                index >= 0 && index < imported.Features.Count ? imported.Features[index] : throw new StateFileCorruptException(path, null, $"{field} names feature index {index}, but there are {imported.Features.Count} features.");
            var retries = new Dictionary<int, int>();
            if (root.TryGetProperty("retry_attempts", out var retryMap) && retryMap.ValueKind == JsonValueKind.Object)
                foreach (var p in retryMap.EnumerateObject())
                    if (int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && Fields.TryIndex(p.Value, out int n)) retries[i] = n;

            // Failures first, then skips, then completions: a later, better outcome wins.
            foreach (var failure in r.Objects(root, "failed_features"))
            {
                var f = At(r.Int(failure, "feature_index", "failed_features"), "failed_features");
                f.Status = FeatureStatus.Failed;
                f.LastError = r.Text(failure, "error_message");
                f.UpdatedAt = r.Date(failure, "timestamp") ?? f.UpdatedAt;
                int retryCount = (int)(r.Long(failure, "retry_count") ?? 0);
                f.Attempts = Math.Max(f.Attempts + 1, retryCount + 1);
            }
            foreach (var skip in r.Objects(root, "skipped_features"))
            {
                var f = At(r.Int(skip, "feature_index", "skipped_features"), "skipped_features");
                f.Status = FeatureStatus.Skipped;
                f.LastError = r.Text(skip, "reason");
                f.UpdatedAt = r.Date(skip, "timestamp") ?? f.UpdatedAt;
                f.Attempts = Math.Max(f.Attempts, 1);
            }
            if (root.TryGetProperty("completed_features", out var completed) && completed.ValueKind != JsonValueKind.Array && completed.ValueKind != JsonValueKind.Null)
                throw new StateFileCorruptException(path, null, $"completed_features is not a list of feature indices (it is {completed.GetRawText()}).");
            if (completed.ValueKind == JsonValueKind.Array)
                foreach (var index in completed.EnumerateArray())
                {
                    if (!Fields.TryIndex(index, out int i)) throw new StateFileCorruptException(path, null, $"completed_features holds {index.GetRawText()}, which is not a feature index.");
                    var f = At(i, "completed_features");
                    f.Status = FeatureStatus.Completed;
                    f.LastError = null;
                    f.Attempts = Math.Max(f.Attempts + 1, 1);
                    f.CompletedAt = f.UpdatedAt ?? imported.UpdatedAt;
                }
            // A retry count says how often a feature was tried again: that many attempts and one more.
            foreach (var pair in retries)
            {
                var f = At(pair.Key, "retry_attempts");
                if (f.Status != FeatureStatus.Pending) f.Attempts = Math.Max(f.Attempts, pair.Value + 1);
            }
            // Whatever the origin's current_index says, a feature with no outcome is pending (its own resume misses those).

            foreach (var clear in r.Objects(root, "auto_clear_events"))
            {
                var at = r.Date(clear, "timestamp") ?? imported.UpdatedAt ?? utcNow;
                imported.ContextClears.Add(new ContextClear(at, r.Long(clear, "context_tokens_before_clear") ?? 0));
            }
            if (root.TryGetProperty("feature_dependencies", out var deps) && deps.ValueKind == JsonValueKind.Object)
                foreach (var p in deps.EnumerateObject())
                {
                    if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out int i) || p.Value.ValueKind != JsonValueKind.Array)
                        throw new StateFileCorruptException(path, null, $"feature_dependencies['{p.Name}'] is not an index with a list of indices.");
                    imported.Dependencies[At(i, "feature_dependencies").Name] = p.Value.EnumerateArray()
                        .Select(v => Fields.TryIndex(v, out int on) ? At(on, "feature_dependencies").Name : throw new StateFileCorruptException(path, null, $"feature_dependencies holds {v.GetRawText()}, which is not a feature index."))
                        .ToArray();
                }

            imported.Extensions = Extensions(root, OriginMapped);
            return imported;
        }

        /// <summary>Our own BatchState, as `Get-BatchState | ConvertTo-Json` writes it (enums as numbers or names).</summary>
        private static ImportedBatch ReadExport(JsonElement root, string path, DateTime utcNow)
        {
            var r = new Fields(path);
            var imported = new ImportedBatch(r.String(root, "BatchId")!, r.OptionalString(root, "Name") ?? r.String(root, "BatchId")!, "exported BatchState", path)
            {
                CreatedAt = r.Date(root, "CreatedAt"),
                UpdatedAt = r.Date(root, "UpdatedAt"),
                ContextTokens = r.Long(root, "ContextTokens") ?? 0,
                CheckpointCount = (int)(r.Long(root, "CheckpointCount") ?? 0),
                LastCheckpointAt = r.Date(root, "LastCheckpointAt"),
            };
            imported.Settings.MaxAttempts = (int)(r.Long(root, "MaxAttempts") ?? BatchSettings.DefaultMaxAttempts);
            imported.Settings.MaxConsecutiveFailures = (int)(r.Long(root, "MaxConsecutiveFailures") ?? BatchSettings.DefaultMaxConsecutiveFailures);
            imported.Settings.ContextTokenLimit = r.Long(root, "ContextTokenLimit") ?? BatchSettings.DefaultContextTokenLimit;
            imported.Settings.RetryDelay = r.Duration(root, "RetryDelay") ?? TimeSpan.Zero;
            imported.Settings.MaxRetryDelay = r.Duration(root, "MaxRetryDelay") ?? BatchSettings.DefaultMaxRetryDelay;
            if (root.TryGetProperty("PermanentErrorTypes", out var types) && types.ValueKind == JsonValueKind.Array)
                imported.Settings.PermanentErrorTypes = types.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToArray();
            imported.ConsecutiveFailures = (int)(r.Long(root, "ConsecutiveFailures") ?? 0);
            foreach (var clear in r.Objects(root, "ContextClearEvents"))
                imported.ContextClears.Add(new ContextClear(r.Date(clear, "At") ?? utcNow, r.Long(clear, "TokensBefore") ?? 0));
            // The batch-level map survives ConvertTo-Json's default depth; each feature's own list only a deeper export.
            bool batchLevelDependencies = root.TryGetProperty("DependsOn", out var dependsOn) && dependsOn.ValueKind == JsonValueKind.Object;
            if (batchLevelDependencies)
            {
                foreach (var entry in dependsOn.EnumerateObject())
                {
                    if (entry.Value.ValueKind == JsonValueKind.Array)
                        imported.Dependencies[entry.Name] = entry.Value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToArray();
                    else if (entry.Value.ValueKind == JsonValueKind.String)
                        imported.Dependencies[entry.Name] = new[] { entry.Value.GetString()! };
                }
            }
            int index = 0;
            foreach (var item in r.Objects(root, "Features"))
            {
                string name = r.OptionalString(item, "Feature") ?? r.String(item, "Name")!;
                var f = new Feature(name, index++)
                {
                    Status = r.Status(item, "Status"),
                    Attempts = (int)(r.Long(item, "Attempts") ?? 0),
                    LastError = r.OptionalString(item, "LastError"),
                    CompletedAt = r.Date(item, "CompletedAt"),
                    UpdatedAt = r.Date(item, "UpdatedAt"),
                    Permanent = item.TryGetProperty("Permanent", out var p) && p.ValueKind == JsonValueKind.True,
                    RetryAt = r.Date(item, "RetryAt"),
                };
                // ConvertTo-Json's default depth turns deeper data into text; what is there is kept as it is, with a warning.
                if (item.TryGetProperty("Data", out var data) && data.ValueKind != JsonValueKind.Null)
                {
                    f.Data = data.Clone();
                    if (TruncatedText(data) is string text) imported.Warnings.Add($"'{path}': the Data of feature '{name}' is the text '{text}', which is what ConvertTo-Json writes for an object deeper than its -Depth; it was imported as that text.");
                }
                imported.Features.Add(f);
                if (batchLevelDependencies || !item.TryGetProperty("DependsOn", out var on)) continue;
                if (on.ValueKind == JsonValueKind.Array && on.GetArrayLength() > 0)
                    imported.Dependencies[name] = on.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToArray();
                else if (on.ValueKind == JsonValueKind.String && on.GetString()!.Length > 0)
                    imported.Warnings.Add($"'{path}': the dependencies of feature '{name}' are the text '{on.GetString()}' (an export cut short by ConvertTo-Json's -Depth); they were not imported.");
            }
            if (root.TryGetProperty("Extensions", out var extensions) && extensions.ValueKind == JsonValueKind.Object)
            {
                imported.Extensions = extensions.Clone();
                foreach (var (where, text) in TruncatedTexts(extensions, "Extensions"))
                    imported.Warnings.Add($"'{path}': {where} is the text '{text}', which is what ConvertTo-Json writes for an object deeper than its -Depth; it was imported as that text.");
            }
            if (imported.Warnings.Count > 0) imported.Warnings.Add($"'{path}': export with ConvertTo-Json -Depth 10 to keep nested data whole.");
            return imported;
        }

        /// <summary>Every string anywhere under <paramref name="value"/> that <see cref="TruncatedText"/> flags, with its JSON path.</summary>
        private static IEnumerable<(string Where, string Text)> TruncatedTexts(JsonElement value, string where)
        {
            if (TruncatedText(value) is string text) yield return (where, text);
            if (value.ValueKind == JsonValueKind.Object)
                foreach (var p in value.EnumerateObject())
                    foreach (var found in TruncatedTexts(p.Value, where + "." + p.Name)) yield return found;
            if (value.ValueKind == JsonValueKind.Array)
            {
                int i = 0;
                foreach (var item in value.EnumerateArray())
                    foreach (var found in TruncatedTexts(item, $"{where}[{i++}]")) yield return found;
            }
        }

        /// <summary>
        /// A string that is most likely what ConvertTo-Json wrote for an object past its -Depth:
        /// "@{a=1; b=2}" for an object, "System.Collections.Hashtable" and the like for other types.
        /// </summary>
        private static string? TruncatedText(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.String) return null;
            string text = value.GetString()!;
            bool truncated = (text.StartsWith("@{", StringComparison.Ordinal) && text.EndsWith("}", StringComparison.Ordinal))
                || text.StartsWith("System.Collections.", StringComparison.Ordinal)
                || text == "System.Object[]";
            return truncated ? text : null;
        }

        private static JsonElement? Extensions(JsonElement root, HashSet<string> mapped)
        {
            byte[] json = JsonText.WriteCompact(w =>
            {
                w.WriteStartObject();
                foreach (var p in root.EnumerateObject())
                {
                    if (mapped.Contains(p.Name)) continue;
                    w.WritePropertyName(p.Name);
                    p.Value.WriteTo(w);
                }
                w.WriteEndObject();
            });
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }

        /// <summary>Typed reads of the source's fields, naming the file in every complaint.</summary>
        private sealed class Fields
        {
            private readonly string _path;

            internal Fields(string path) => _path = path;

            internal string? String(JsonElement obj, string name)
            {
                string? value = OptionalString(obj, name);
                return string.IsNullOrEmpty(value) ? throw new StateFileCorruptException(_path, null, $"{name} is missing or empty.") : value;
            }

            internal string? OptionalString(JsonElement obj, string name) =>
                obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

            internal DateTime? Date(JsonElement obj, string name)
            {
                if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind != JsonValueKind.String) throw new StateFileCorruptException(_path, null, $"{name} {v.GetRawText()} is not a date.");
                return JsonText.TryParseDate(v.GetString(), out var date) ? date : throw new StateFileCorruptException(_path, null, $"{name} '{v.GetString()}' is not a date.");
            }

            /// <summary>A TimeSpan as ConvertTo-Json writes it (an object with Ticks), as text ("00:00:05"), or as seconds.</summary>
            internal TimeSpan? Duration(JsonElement obj, string name)
            {
                if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("Ticks", out var ticks) && ticks.TryGetInt64(out long t)) return TimeSpan.FromTicks(t);
                if (v.ValueKind == JsonValueKind.String && TimeSpan.TryParse(v.GetString(), CultureInfo.InvariantCulture, out var span)) return span;
                if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double seconds)) return TimeSpan.FromSeconds(seconds);
                throw new StateFileCorruptException(_path, null, $"{name} {v.GetRawText()} is not a duration.");
            }

            internal long? Long(JsonElement obj, string name)
            {
                if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n
                    : throw new StateFileCorruptException(_path, null, $"{name} {v.GetRawText()} is not a whole number.");
            }

            internal int Int(JsonElement obj, string name, string where) =>
                obj.TryGetProperty(name, out var v) && TryIndex(v, out int n) ? n
                : throw new StateFileCorruptException(_path, null, $"a record of {where} has no {name}" + (v.ValueKind == JsonValueKind.Undefined ? "." : $" it can use ({v.GetRawText()} is not an index)."));

            /// <summary>A feature index: a whole number, or a string of digits (Python's str keys and values).</summary>
            internal static bool TryIndex(JsonElement v, out int index)
            {
                index = 0;
                if (v.ValueKind == JsonValueKind.Number) return v.TryGetInt32(out index) && index >= 0;
                return v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out index);
            }

            /// <summary>A message: a string as it is, any other value (a number, an object) as its JSON text.</summary>
            internal string? Text(JsonElement obj, string name) =>
                !obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
                : v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText();

            internal IEnumerable<JsonElement> Objects(JsonElement obj, string name)
            {
                if (!obj.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array) yield break;
                foreach (var item in v.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String)
                        throw new StateFileCorruptException(_path, null, $"{name} holds the text '{item.GetString()}' where an object belongs: ConvertTo-Json writes that past its -Depth (the default 2 is too shallow for an array of batches). Export again with ConvertTo-Json -Depth 10.");
                    if (item.ValueKind != JsonValueKind.Object) throw new StateFileCorruptException(_path, null, $"{name} holds something other than objects.");
                    yield return item;
                }
            }

            /// <summary>A status by name, or by number as ConvertTo-Json writes enums.</summary>
            internal FeatureStatus Status(JsonElement obj, string name)
            {
                if (!obj.TryGetProperty(name, out var v)) return FeatureStatus.Pending;
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && Enum.IsDefined(typeof(FeatureStatus), n)) return (FeatureStatus)n;
                if (v.ValueKind == JsonValueKind.String && Enum.TryParse(v.GetString(), ignoreCase: true, out FeatureStatus s) && Enum.IsDefined(typeof(FeatureStatus), s)) return s;
                throw new StateFileCorruptException(_path, null, $"{name} {v.GetRawText()} is not a feature status.");
            }
        }
    }
}
