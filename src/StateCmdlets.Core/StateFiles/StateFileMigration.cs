using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// User-written steps for a state file's schema, keyed by the version each starts from, chained
    /// until no step starts from the version reached. How far they reach is the target version
    /// when one is given, else the newest major version a step starts from: a file from a newer
    /// major is refused untouched, as for batch files. Without a target, a chain that crosses into a
    /// new major version is refused too: the next run could not tell its result from a newer file.
    /// </summary>
    internal sealed class StateFileMigration
    {
        private readonly Dictionary<SchemaVersion, StateFileStep> _steps = new Dictionary<SchemaVersion, StateFileStep>();
        private readonly SchemaVersion _newestFrom;

        public StateFileMigration(IEnumerable<StateFileStep> steps, SchemaVersion? target = null)
        {
            foreach (var step in steps)
            {
                if (_steps.ContainsKey(step.From)) throw new InvalidMigrationStepException(null, $"Two steps start from {step.From}.");
                _steps.Add(step.From, step);
            }
            if (_steps.Count == 0) throw new InvalidMigrationStepException(null, "No migration step was given.");
            _newestFrom = _steps.Keys.Max();
            Target = target;
            if (target.HasValue && !(target.Value > _steps.Keys.Min()))
                throw new InvalidMigrationStepException(null, $"The target version {target} is not newer than the oldest step's version {_steps.Keys.Min()}.");
        }

        /// <summary>The version every chain must end at, when the caller said.</summary>
        public SchemaVersion? Target { get; }

        /// <summary>The versions steps start from.</summary>
        public IEnumerable<SchemaVersion> StepsFrom => _steps.Keys;

        /// <summary>How far the steps reach, in words, for messages.</summary>
        public string Reach => Target.HasValue ? Target.Value.ToString() : _newestFrom.Major + ".x";

        /// <summary>What a file of <paramref name="version"/> needs.</summary>
        public MigrationNeed Assess(SchemaVersion version)
        {
            if (_steps.ContainsKey(version)) return MigrationNeed.Migrate;
            if (Target.HasValue)
            {
                if (version.Major > Target.Value.Major) return MigrationNeed.TooNew;
                return version < Target.Value ? MigrationNeed.Unknown : MigrationNeed.None;
            }
            if (version.Major > _newestFrom.Major) return MigrationNeed.TooNew;
            // Newer than every step's start: the end of the chain (or a newer minor of it).
            return version > _newestFrom ? MigrationNeed.None : MigrationNeed.Unknown;
        }

        /// <summary>
        /// Runs the chain from <paramref name="version"/> on <paramref name="document"/> (in memory)
        /// and returns the result, schemaVersion set. Each step must move forward and hand back an object.
        /// </summary>
        public StateFileStepResult Run(JsonElement document, SchemaVersion version, string path)
        {
            var reached = version;
            while (_steps.TryGetValue(reached, out var step))
            {
                var result = step.Apply(document);
                if (!(result.Version > reached))
                    throw new InvalidMigrationStepException(path, $"the step from {reached} returned version {result.Version}, which is not newer: every step must move forward.");
                if (result.Document.ValueKind != JsonValueKind.Object)
                    throw new InvalidMigrationStepException(path, $"the step from {reached} left a JSON {StateFileDocument.Describe(result.Document.ValueKind)}, not an object.");
                document = result.Document;
                reached = result.Version;
            }
            if (Target.HasValue && reached != Target.Value)
                throw new InvalidMigrationStepException(path, $"the steps from {version} stop at {reached}, not at the target version {Target}: no step starts from {reached}.");
            if (!Target.HasValue && reached.Major > _newestFrom.Major)
                throw new InvalidMigrationStepException(path, $"the steps lead to {reached}, a new major version: give it as the target version (-TargetVersion {reached}), so that files already in it are known to be current, not newer.");
            return new StateFileStepResult(StateFileDocument.Stamp(document, reached, path), reached);
        }
    }
}
