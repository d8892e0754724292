using StateCmdlets.Core.Storage;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// The parts of one file store, made once and known to each other: who reads, who writes the
    /// journal, who folds, where the lock is taken, who writes new batches, who repairs.
    /// </summary>
    internal sealed class FileStoreParts
    {
        internal FileStoreParts(FileStoreOptions options)
        {
            Options = options;
            Fs = options.FileSystem;
            Reader = new BatchReader(this);
            Journal = new JournalWriter(this);
            Snapshots = new SnapshotWriter(this);
            Units = new BatchUnitOfWork(this);
            NewBatches = new NewBatchWriter(this);
            Repair = new BatchRepair(this);
        }

        internal FileStoreOptions Options { get; }

        internal IFileSystem Fs { get; }

        internal BatchReader Reader { get; }

        internal JournalWriter Journal { get; }

        internal SnapshotWriter Snapshots { get; }

        internal BatchUnitOfWork Units { get; }

        internal NewBatchWriter NewBatches { get; }

        internal BatchRepair Repair { get; }
    }
}
