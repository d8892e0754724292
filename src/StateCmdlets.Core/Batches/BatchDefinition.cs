using System;
using System.Collections.Generic;

namespace StateCmdlets.Core.Batches
{
    /// <summary>What a script asks for when it creates a batch.</summary>
    internal sealed class BatchDefinition
    {
        public const int DefaultMaxAttempts = BatchSettings.DefaultMaxAttempts;

        public BatchDefinition(string name, IReadOnlyList<string> features)
        {
            Name = name;
            Features = features;
        }

        public string Name { get; }

        public IReadOnlyList<string> Features { get; }

        /// <summary>Null: generate one such as batch-20261125-101500-3f9a.</summary>
        public string? BatchId { get; set; }

        public BatchSettings Settings { get; set; } = new BatchSettings();

        /// <summary>Shorthand for <see cref="BatchSettings.MaxAttempts"/>.</summary>
        public int MaxAttempts
        {
            get => Settings.MaxAttempts;
            set => Settings.MaxAttempts = value;
        }

        /// <summary>Feature to the features it must come after; a cycle or an unknown name is refused.</summary>
        public IReadOnlyDictionary<string, IReadOnlyList<string>> Dependencies { get; set; } =
            new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
    }
}
