using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// A batch of work items and their outcomes. Counters and status are derived from the features:
    /// never stored on disk, and in memory kept by the one method that changes a feature.
    /// </summary>
    public sealed class Batch
    {
        public const int MaxNameLength = 1024;

        private readonly List<Feature> _features;
        private readonly Dictionary<string, Feature> _byName;
        private readonly int[] _counts = new int[4];
        private int _retryable;

        internal Batch(string batchId, string name, DateTime createdAt, DateTime updatedAt, int maxAttempts, SchemaVersion schemaVersion, List<Feature> features)
        {
            BatchId = batchId;
            Name = name;
            CreatedAt = createdAt;
            UpdatedAt = updatedAt;
            MaxAttempts = maxAttempts;
            SchemaVersion = schemaVersion;
            _features = features;
            _byName = new Dictionary<string, Feature>(features.Count, StringComparer.Ordinal);
            foreach (var feature in features)
            {
                if (_byName.ContainsKey(feature.Name))
                    throw new InvalidBatchDefinitionException("DuplicateFeature", $"Feature '{feature.Name}' appears more than once; feature names must be unique within a batch.");
                _byName.Add(feature.Name, feature);
                Count(feature, +1);
            }
        }

        public string BatchId { get; }

        public string Name { get; }

        public DateTime CreatedAt { get; }

        public DateTime UpdatedAt { get; private set; }

        public int MaxAttempts { get; }

        /// <summary>The schema version of the file this batch was read from (or is written in).</summary>
        public SchemaVersion SchemaVersion { get; internal set; }

        public IReadOnlyList<Feature> Features => _features;

        public int Total => _features.Count;

        public int Completed => _counts[(int)FeatureStatus.Completed];

        public int Failed => _counts[(int)FeatureStatus.Failed];

        public int Skipped => _counts[(int)FeatureStatus.Skipped];

        public int Pending => _counts[(int)FeatureStatus.Pending];

        /// <summary>How many features <see cref="Remaining"/> would give.</summary>
        public int RemainingCount(bool includeFailed) => Pending + (includeFailed ? _retryable : 0);

        public BatchStatus Status
        {
            get
            {
                if (Completed + Skipped == Total) return BatchStatus.Completed;
                if (Pending == Total) return BatchStatus.Pending;
                if (RemainingCount(includeFailed: true) == 0) return BatchStatus.CompletedWithFailures;
                return BatchStatus.Running;
            }
        }

        /// <summary>Properties written by a newer minor schema version, kept verbatim on rewrite.</summary>
        internal Dictionary<string, JsonElement>? UnknownProperties { get; set; }

        /// <summary>Settings written by a newer minor schema version, kept verbatim on rewrite.</summary>
        internal Dictionary<string, JsonElement>? UnknownSettings { get; set; }

        /// <summary>
        /// Creates a new batch, refusing empty, over-long, malformed or duplicate feature names.
        /// </summary>
        public static Batch Create(string batchId, BatchDefinition definition, DateTime utcNow, SchemaVersion schemaVersion)
        {
            Batches.BatchId.Validate(batchId);
            CheckName("batch name", definition.Name, "InvalidBatchName");
            if (definition.MaxAttempts < 1)
                throw new InvalidBatchDefinitionException("InvalidMaxAttempts", $"MaxAttempts must be at least 1 (got {definition.MaxAttempts}).");

            var features = new List<Feature>(definition.Features.Count);
            var seen = new Dictionary<string, int>(definition.Features.Count, StringComparer.Ordinal);
            for (int i = 0; i < definition.Features.Count; i++)
            {
                string name = definition.Features[i];
                CheckName("feature name", name);
                if (seen.TryGetValue(name, out int first))
                    throw new InvalidBatchDefinitionException("DuplicateFeature", $"Feature '{name}' appears twice (items {first + 1} and {i + 1}); feature names must be unique within a batch.");
                seen.Add(name, i);
                features.Add(new Feature(name, i));
            }
            return new Batch(batchId, definition.Name, utcNow, utcNow, definition.MaxAttempts, schemaVersion, features);
        }

        public Feature? Find(string featureName) => _byName.TryGetValue(featureName, out var feature) ? feature : null;

        /// <summary>
        /// What is still to do, in batch order: pending features, and (unless excluded) failed
        /// ones with attempts left.
        /// </summary>
        public IEnumerable<Feature> Remaining(bool includeFailed)
        {
            foreach (var feature in _features)
            {
                if (feature.Status == FeatureStatus.Pending) yield return feature;
                else if (includeFailed && feature.Status == FeatureStatus.Failed && feature.Attempts < MaxAttempts) yield return feature;
            }
        }

        /// <summary>Throws unless <paramref name="result"/> can be applied: known feature, final status.</summary>
        public Feature Check(FeatureResult result, string path)
        {
            var feature = Find(result.Feature) ?? throw new FeatureNotFoundException(BatchId, result.Feature, path);
            if (result.Status == FeatureStatus.Pending)
                throw new InvalidFeatureResultException($"'{result.Feature}' of batch '{BatchId}': a result must be Completed, Failed or Skipped, not Pending.");
            return feature;
        }

        /// <summary>Applies one result in memory. Unknown features and non-final statuses are refused.</summary>
        public Feature Apply(FeatureResult result, DateTime utcNow, string path)
        {
            var feature = Check(result, path);
            Count(feature, -1);
            feature.Status = result.Status;
            feature.Attempts++;
            feature.UpdatedAt = utcNow;
            feature.CompletedAt = result.Status == FeatureStatus.Completed ? utcNow : (DateTime?)null;
            // A success clears the last error; a failure or skip records its message (the reason).
            feature.LastError = result.Status == FeatureStatus.Completed ? null : result.ErrorMessage;
            if (result.Data.HasValue) feature.Data = result.Data;
            Count(feature, +1);
            if (utcNow > UpdatedAt) UpdatedAt = utcNow;
            return feature;
        }

        /// <summary>Any Unicode text that survives UTF-8, 1 to 1024 characters.</summary>
        internal static void CheckName(string what, string? name, string errorId = "InvalidFeatureName")
        {
            if (string.IsNullOrEmpty(name))
                throw new InvalidBatchDefinitionException(errorId, $"A {what} cannot be empty.");
            int characters = 0;
            for (int i = 0; i < name!.Length; i++)
            {
                char c = name[i];
                if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) i++;
                else if (char.IsSurrogate(c))
                    throw new InvalidBatchDefinitionException(errorId, $"The {what} '{name}' contains a broken UTF-16 surrogate at position {i}, which cannot be stored as UTF-8.");
                characters++;
            }
            if (characters > MaxNameLength)
                throw new InvalidBatchDefinitionException(errorId, $"The {what} '{name.Substring(0, 40)}...' has {characters} characters; at most {MaxNameLength} are allowed.");
        }

        private void Count(Feature feature, int delta)
        {
            _counts[(int)feature.Status] += delta;
            if (feature.Status == FeatureStatus.Failed && feature.Attempts < MaxAttempts) _retryable += delta;
        }
    }
}
