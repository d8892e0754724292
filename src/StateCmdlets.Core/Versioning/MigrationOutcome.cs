namespace StateCmdlets.Core.Versioning
{
    /// <summary>What migrating one file did, or would do.</summary>
    public sealed class MigrationOutcome
    {
        public MigrationOutcome(string path, SchemaVersion fromVersion, SchemaVersion toVersion, MigrationAction action, string? backupPath)
        {
            Path = path;
            FromVersion = fromVersion;
            ToVersion = toVersion;
            Action = action;
            BackupPath = backupPath;
        }

        public string Path { get; }

        public SchemaVersion FromVersion { get; }

        public SchemaVersion ToVersion { get; }

        public MigrationAction Action { get; }

        /// <summary>The fsynced copy of the original, when the file was rewritten.</summary>
        public string? BackupPath { get; }
    }

    public enum MigrationAction
    {
        /// <summary>Already current (or a newer minor version this module reads as is).</summary>
        UpToDate,

        /// <summary>Older: a migration would rewrite it (what BatchStore.InspectVersion tells before asking).</summary>
        NeedsMigration,

        /// <summary>Rewritten in the current version, original backed up.</summary>
        Migrated,
    }
}
