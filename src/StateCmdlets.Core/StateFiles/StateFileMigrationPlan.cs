using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// What migrating a state file would do, found by running the steps on a copy in memory: the
    /// versions, the backup the original would be kept in, and what would change in the document.
    /// </summary>
    internal sealed class StateFileMigrationPlan
    {
        public StateFileMigrationPlan(string path, SchemaVersion fromVersion, SchemaVersion toVersion, string? backupPath, StateFileChanges? changes)
        {
            Path = path;
            FromVersion = fromVersion;
            ToVersion = toVersion;
            BackupPath = backupPath;
            Changes = changes;
        }

        public string Path { get; }

        public SchemaVersion FromVersion { get; }

        public SchemaVersion ToVersion { get; }

        /// <summary>UpToDate, or NeedsMigration when the steps would rewrite the file.</summary>
        public MigrationAction Action => Changes == null ? MigrationAction.UpToDate : MigrationAction.NeedsMigration;

        /// <summary>Where the original would be kept (a new name when the usual one holds another original); null when up to date.</summary>
        public string? BackupPath { get; }

        /// <summary>The document's changes, schemaVersion aside; null when up to date.</summary>
        public StateFileChanges? Changes { get; }

        /// <summary>As a MigrationOutcome: what is emitted for a file that is up to date.</summary>
        public MigrationOutcome ToOutcome() => new MigrationOutcome(Path, FromVersion, ToVersion, Action, BackupPath);
    }
}
