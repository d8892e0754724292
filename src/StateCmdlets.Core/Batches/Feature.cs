using System;
using System.Collections.Generic;
using System.Text.Json;

namespace StateCmdlets.Core.Batches
{
    /// <summary>One work item of a batch and its outcome so far.</summary>
    public sealed class Feature
    {
        internal Feature(string name, int index)
        {
            Name = name;
            Index = index;
        }

        public string Name { get; }

        /// <summary>Position in the batch, from 0.</summary>
        public int Index { get; }

        public FeatureStatus Status { get; internal set; }

        /// <summary>Results recorded for this feature (every result counts one attempt).</summary>
        public int Attempts { get; internal set; }

        public string? LastError { get; internal set; }

        public DateTime? CompletedAt { get; internal set; }

        /// <summary>When the last result was recorded.</summary>
        public DateTime? UpdatedAt { get; internal set; }

        /// <summary>The script's own output for this item, as JSON.</summary>
        public JsonElement? Data { get; internal set; }

        /// <summary>Properties written by a newer minor schema version, kept verbatim on rewrite.</summary>
        internal Dictionary<string, JsonElement>? UnknownProperties { get; set; }

        internal Feature Clone() => new Feature(Name, Index)
        {
            Status = Status,
            Attempts = Attempts,
            LastError = LastError,
            CompletedAt = CompletedAt,
            UpdatedAt = UpdatedAt,
            Data = Data,
            UnknownProperties = UnknownProperties,
        };
    }
}
