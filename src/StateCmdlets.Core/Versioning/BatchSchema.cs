using System.Collections.Generic;

namespace StateCmdlets.Core.Versioning
{
    /// <summary>The batch snapshot format: its current version and the chain of steps up to it.</summary>
    public static class BatchSchema
    {
        public static readonly SchemaVersion Current = new SchemaVersion(1, 0, 0);

        public static SchemaMigrator CreateMigrator() => new SchemaMigrator(Current, new List<IMigrationStep>());
    }
}
