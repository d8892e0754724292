using System.Collections.Generic;

namespace StateCmdlets.Core.Batches
{
    /// <summary>What a script asks for when it creates a batch.</summary>
    public sealed class BatchDefinition
    {
        public const int DefaultMaxAttempts = 3;

        public BatchDefinition(string name, IReadOnlyList<string> features)
        {
            Name = name;
            Features = features;
        }

        public string Name { get; }

        public IReadOnlyList<string> Features { get; }

        /// <summary>Null: generate one such as batch-20261125-101500-3f9a.</summary>
        public string? BatchId { get; set; }

        public int MaxAttempts { get; set; } = DefaultMaxAttempts;
    }
}
