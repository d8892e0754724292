using System;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Batches.FileStore.Schema;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>How a <see cref="FileBatchStore"/> reaches the disk and the clock; defaults suit real use.</summary>
    internal sealed class FileStoreOptions
    {
        public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

        public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;

        public IFileSystem FileSystem { get; set; } = PhysicalFileSystem.Instance;

        public Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;

        public SchemaMigrator Migrator { get; set; } = BatchSchema.Migrator;

        /// <summary>
        /// The journal is folded into a new snapshot once its records outgrow both the snapshot and
        /// this many bytes (amortised O(1) per update), and when the batch has nothing left to do.
        /// </summary>
        public long FoldMinimumBytes { get; set; } = 64 * 1024;

        /// <summary>Receives one line per lock taken and file written (the cmdlets' -Verbose).</summary>
        public Action<string>? Trace { get; set; }
    }
}
