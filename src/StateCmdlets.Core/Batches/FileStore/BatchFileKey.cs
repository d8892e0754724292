using System;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// One batch's files as this process shares state about them (writer sessions, commit
    /// groups): the snapshot's path on one file system read through one migrator.
    /// </summary>
    internal readonly struct BatchFileKey : IEquatable<BatchFileKey>
    {
        private readonly IFileSystem _fs;
        private readonly SchemaMigrator _migrator;
        private readonly string _path;

        internal BatchFileKey(IFileSystem fs, SchemaMigrator migrator, string snapshotPath)
        {
            _fs = fs;
            _migrator = migrator;
            _path = snapshotPath;
        }

        public bool Equals(BatchFileKey other) => ReferenceEquals(_fs, other._fs) && ReferenceEquals(_migrator, other._migrator) && _path == other._path;

        public override bool Equals(object? obj) => obj is BatchFileKey other && Equals(other);

        public override int GetHashCode() => _path.GetHashCode();
    }
}
