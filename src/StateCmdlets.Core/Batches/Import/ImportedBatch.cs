using System;
using System.Collections.Generic;
using System.Text.Json;

namespace StateCmdlets.Core.Batches.Import
{
    /// <summary>A batch read from another tool's file, ready to be written as one of ours.</summary>
    internal sealed class ImportedBatch
    {
        internal ImportedBatch(string batchId, string name, string format, string sourcePath)
        {
            BatchId = batchId;
            Name = name;
            Format = format;
            SourcePath = sourcePath;
        }

        /// <summary>The file it was read from (only ever read).</summary>
        public string SourcePath { get; }

        /// <summary>The id the batch gets; the source's own unless the caller chooses another.</summary>
        public string BatchId { get; set; }

        public string Name { get; }

        /// <summary>What the source file was, in words ("autonomous-dev BatchStateManager", ...).</summary>
        public string Format { get; }

        internal DateTime? CreatedAt { get; set; }

        internal DateTime? UpdatedAt { get; set; }

        internal BatchSettings Settings { get; set; } = new BatchSettings();

        internal List<Feature> Features { get; } = new List<Feature>();

        public int FeatureCount => Features.Count;

        internal Dictionary<string, IReadOnlyList<string>> Dependencies { get; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

        internal long ContextTokens { get; set; }

        internal int ConsecutiveFailures { get; set; }

        /// <summary>What was read but may not be what the source meant (an export cut short by ConvertTo-Json's depth).</summary>
        public List<string> Warnings { get; } = new List<string>();

        internal List<ContextClear> ContextClears { get; } = new List<ContextClear>();

        internal int CheckpointCount { get; set; }

        internal DateTime? LastCheckpointAt { get; set; }

        /// <summary>The source's fields that have no place in our model, verbatim.</summary>
        internal JsonElement? Extensions { get; set; }

        /// <summary>A copied batch's properties and settings of a newer minor schema version, kept verbatim.</summary>
        private Dictionary<string, JsonElement>? _unknownProperties;
        private Dictionary<string, JsonElement>? _unknownSettings;

        /// <summary>What a batch's copy in another store starts from (Copy-BatchState).</summary>
        internal const string CopyFormat = "StateCmdlets batch";

        /// <summary>
        /// Everything of <paramref name="batch"/> (read from the store at <paramref name="sourceAddress"/>)
        /// that is the batch's, not the store's: features with their results, attempts, errors, data,
        /// retry times and dependencies; settings; the context budget, breaker and checkpoint counts;
        /// extensions. Claims are the source store's: the copy starts with none (fencing tokens begin
        /// again in the destination), so a feature a worker holds there is plain Pending here.
        /// </summary>
        internal static ImportedBatch CopyOf(Batch batch, string sourceAddress)
        {
            var copy = new ImportedBatch(batch.BatchId, batch.Name, CopyFormat, sourceAddress)
            {
                CreatedAt = batch.CreatedAt,
                UpdatedAt = batch.UpdatedAt,
                Settings = batch.Settings,
                ContextTokens = batch.ContextTokens,
                ConsecutiveFailures = batch.ConsecutiveFailures,
                CheckpointCount = batch.CheckpointCount,
                LastCheckpointAt = batch.LastCheckpointAt,
                Extensions = batch.Extensions,
                _unknownProperties = batch.UnknownProperties,
                _unknownSettings = batch.UnknownSettings,
            };
            copy.ContextClears.AddRange(batch.ContextClears);
            foreach (var feature in batch.Features)
            {
                var item = feature.Clone();
                item.EndClaim();
                item.ClaimToken = 0;
                copy.Features.Add(item);
                if (feature.DependsOn.Count > 0) copy.Dependencies[feature.Name] = feature.DependsOn;
            }
            return copy;
        }

        /// <summary>The batch this import becomes, checked as a new batch is (names, settings, dependencies).</summary>
        internal Batch ToBatch(DateTime utcNow, Versioning.SchemaVersion schemaVersion)
        {
            foreach (var feature in Features) Batch.CheckName("feature name", feature.Name);
            Batch.CheckName("batch name", Name, StateErrorIds.InvalidBatchName);
            Settings.Validate();
            var batch = new Batch(BatchId, Name, CreatedAt ?? utcNow, UpdatedAt ?? CreatedAt ?? utcNow, Settings, schemaVersion, Features)
            {
                Extensions = Extensions,
                UnknownProperties = _unknownProperties,
                UnknownSettings = _unknownSettings,
            };
            batch.Restore(ContextTokens, ContextClears, ConsecutiveFailures, CheckpointCount, LastCheckpointAt);
            batch.SetDependencies(Dependencies);
            return batch;
        }
    }
}
