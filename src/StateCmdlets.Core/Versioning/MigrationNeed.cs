namespace StateCmdlets.Core.Versioning
{
    /// <summary>What reading a file of a given schema version takes.</summary>
    internal enum MigrationNeed
    {
        /// <summary>Current version, or a newer minor: read as is.</summary>
        None,

        /// <summary>An older version with a migration path.</summary>
        Migrate,

        /// <summary>A newer major version: refuse.</summary>
        TooNew,

        /// <summary>An older version no step starts from.</summary>
        Unknown,
    }
}
