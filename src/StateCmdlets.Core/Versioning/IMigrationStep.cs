using System.Text.Json.Nodes;

namespace StateCmdlets.Core.Versioning
{
    /// <summary>One step of the migration chain: a pure function from one version's JSON to the next.</summary>
    internal interface IMigrationStep
    {
        SchemaVersion From { get; }

        SchemaVersion To { get; }

        /// <summary>What the step changes, in a few words, for -WhatIf ("adds the journal mark").</summary>
        string Description { get; }

        /// <summary>Returns the document in version <see cref="To"/>; must not touch anything else.</summary>
        JsonObject Apply(JsonObject document);
    }
}
