namespace StateCmdlets.Core
{
    /// <summary>
    /// Every error id the core reports: the FullyQualifiedErrorId scripts and tests key on. Constants,
    /// so a misspelt id is a compile error, never a silently different error.
    /// </summary>
    public static class StateErrorIds
    {
        public const string BatchNotFound = "BatchNotFound";
        public const string BatchAlreadyExists = "BatchAlreadyExists";
        public const string BatchNameConflict = "BatchNameConflict";
        public const string AmbiguousBatchName = "AmbiguousBatchName";
        public const string FeatureNotFound = "FeatureNotFound";
        public const string InvalidBatchId = "InvalidBatchId";
        public const string InvalidBatchName = "InvalidBatchName";
        public const string InvalidFeatureName = "InvalidFeatureName";
        public const string DuplicateFeature = "DuplicateFeature";
        public const string UnknownDependency = "UnknownDependency";
        public const string DependencyCycle = "DependencyCycle";
        public const string InvalidMaxAttempts = "InvalidMaxAttempts";
        public const string InvalidSetting = "InvalidSetting";
        public const string NotABatchFile = "NotABatchFile";
        public const string StateDirectoryNotFound = "StateDirectoryNotFound";
        public const string UnknownBatchFormat = "UnknownBatchFormat";
        public const string InvalidFeatureResult = "InvalidFeatureResult";
        public const string FeatureAlreadyCompleted = "FeatureAlreadyCompleted";
        public const string ClaimLost = "ClaimLost";
        public const string StateLockTimeout = "StateLockTimeout";
        public const string StateLockReentrant = "StateLockReentrant";
        public const string StateFileCorrupt = "StateFileCorrupt";
        public const string StateVersionTooNew = "StateVersionTooNew";
        public const string StateStoreUnavailable = "StateStoreUnavailable";
        public const string StateStoreNotSupported = "StateStoreNotSupported";
        public const string InvalidStore = "InvalidStore";
        public const string StateFileAccessDenied = "StateFileAccessDenied";
        public const string StateFileIOError = "StateFileIOError";
        public const string StateFileNotFound = "StateFileNotFound";
        public const string StateFileIsFolder = "StateFileIsFolder";
        public const string StateUpdateFailed = "StateUpdateFailed";
        public const string InvalidStateDocument = "InvalidStateDocument";
        public const string StateVersionUnknown = "StateVersionUnknown";
        public const string StateMigrationRequired = "StateMigrationRequired";
        public const string InvalidMigrationStep = "InvalidMigrationStep";
    }
}
