using System;
using System.Text.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// One user-written migration step of a state file: from one schema version to whichever the
    /// step says, as a function of the document (the version it leads to is only known once it ran).
    /// </summary>
    internal sealed class StateFileStep
    {
        public StateFileStep(SchemaVersion from, Func<JsonElement, StateFileStepResult> apply)
        {
            From = from;
            Apply = apply ?? throw new ArgumentNullException(nameof(apply));
        }

        public SchemaVersion From { get; }

        /// <summary>The document in version <see cref="From"/> to the next version's document, and that version.</summary>
        public Func<JsonElement, StateFileStepResult> Apply { get; }
    }

    /// <summary>What a step hands back: the new document and the version it is in.</summary>
    internal readonly struct StateFileStepResult
    {
        public StateFileStepResult(JsonElement document, SchemaVersion version)
        {
            Document = document;
            Version = version;
        }

        public JsonElement Document { get; }

        public SchemaVersion Version { get; }
    }
}
