using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace StateCmdlets.Core.Versioning
{
    /// <summary>
    /// Brings a document from any earlier version to <see cref="Current"/> by chaining steps.
    /// Same major and newer minor reads as is (minor versions only add); a newer major is refused.
    /// </summary>
    internal sealed class SchemaMigrator
    {
        public const string VersionProperty = "schemaVersion";

        /// <summary>A file without a schemaVersion property is this version.</summary>
        public static readonly SchemaVersion Unversioned = new SchemaVersion(1, 0, 0);

        private readonly Dictionary<SchemaVersion, IMigrationStep> _steps;

        public SchemaMigrator(SchemaVersion current, IEnumerable<IMigrationStep> steps)
        {
            Current = current;
            _steps = new Dictionary<SchemaVersion, IMigrationStep>();
            foreach (var step in steps)
            {
                if (!(step.From < step.To)) throw new ArgumentException($"A migration step must go forward ({step.From} -> {step.To}).", nameof(steps));
                _steps.Add(step.From, step);
            }
        }

        public SchemaVersion Current { get; }

        /// <summary>What reading a file of <paramref name="version"/> needs.</summary>
        public MigrationNeed Assess(SchemaVersion version)
        {
            if (version.Major > Current.Major) return MigrationNeed.TooNew;
            if (!(version < Current)) return MigrationNeed.None;
            return PathFrom(version) != null ? MigrationNeed.Migrate : MigrationNeed.Unknown;
        }

        /// <summary>
        /// Applies every step from <paramref name="version"/> to <see cref="Current"/>. The caller
        /// checked <see cref="Assess"/> first; an unknown version here is a bug, not bad data.
        /// </summary>
        public JsonObject Migrate(JsonObject document, SchemaVersion version)
        {
            var path = PathFrom(version) ?? throw new InvalidOperationException($"No migration path from {version} to {Current}.");
            foreach (var step in path)
            {
                document = step.Apply(document);
                document[VersionProperty] = step.To.ToString();
            }
            return document;
        }

        /// <summary>What migrating from <paramref name="version"/> to <see cref="Current"/> changes, one line per step.</summary>
        public IReadOnlyList<string> Describe(SchemaVersion version) =>
            (IReadOnlyList<string>?)PathFrom(version)?.Select(step => step.Description).ToList() ?? Array.Empty<string>();

        private List<IMigrationStep>? PathFrom(SchemaVersion version)
        {
            var path = new List<IMigrationStep>();
            while (version < Current)
            {
                if (!_steps.TryGetValue(version, out var step)) return null;
                path.Add(step);
                version = step.To;
            }
            return version == Current ? path : null;
        }
    }
}
