using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Storage;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// The one write path of a batch made whole in memory (New-BatchState, Import-BatchState): under
    /// the lock, refuse or replace what is there, keeping anything unreadable aside, then fold.
    /// </summary>
    internal sealed class NewBatchWriter
    {

        private readonly FileStoreParts _parts;

        internal NewBatchWriter(FileStoreParts parts) => _parts = parts;

        /// <summary>
        /// Writes <paramref name="batch"/> as a new batch. An existing one is
        /// <see cref="BatchAlreadyExistsException"/> unless <paramref name="replace"/>; false (nothing
        /// written) when it exists and <paramref name="idWasGenerated"/>, so the caller draws another id.
        /// </summary>
        internal bool Write(BatchFiles files, Batch batch, bool replace, bool idWasGenerated, CancellationToken cancellationToken)
        {
            Guard(files.Directory, "create the state directory", () => _parts.Fs.EnsureDirectory(files.Directory));
            using (_parts.Units.Lock(files, cancellationToken))
            {
                _parts.Units.Forget(files);
                bool exists = _parts.Fs.FileExists(files.Snapshot);
                if (exists)
                {
                    if (idWasGenerated) return false; // two batches in the same second drew the same suffix
                    if (!replace) throw new BatchAlreadyExistsException(files.Id, files.Snapshot);
                    MoveAsideIfUnreadable(files);
                }
                else if (!replace) RefuseOverRecoverableFiles(files);
                // The new snapshot's fresh generation makes any old journal stale at once.
                _parts.Snapshots.Fold(files, new BatchSession(batch, default, 0, batch.SchemaVersion, null));
                if (exists) DeleteLeftovers(files);
                return true;
            }
        }

        /// <summary>
        /// No snapshot, but the journal or the backup of a batch with this id is there (a lost or
        /// deleted B.json): its results can still be recovered, so only -Force writes over them.
        /// </summary>
        private void RefuseOverRecoverableFiles(BatchFiles files)
        {
            string? left = new[] { files.Journal, files.LatestBackup }.FirstOrDefault(_parts.Fs.FileExists);
            if (left == null) return;
            throw new BatchAlreadyExistsException(files.Id, left,
                $"Batch '{files.Id}' has no snapshot '{files.Snapshot}', but '{left}' is there: its results may be recoverable. " +
                $"Run Repair-BatchState -BatchId {files.Id} to rebuild the batch, Remove-BatchState -BatchId {files.Id} to delete what is left of it, or -Force to replace it with a new one.");
        }

        /// <summary>Before a replacement: an unreadable snapshot is moved aside, never destroyed.</summary>
        private void MoveAsideIfUnreadable(BatchFiles files)
        {
            try
            {
                _parts.Reader.ReadOnce(files);
            }
            catch (System.Exception e) when (e is StateFileCorruptException || e is StateVersionTooNewException)
            {
                string aside = AsideCopy.Make(_parts.Fs, files.Snapshot, _parts.Options.UtcNow());
                _parts.Options.Trace?.Invoke($"Kept unreadable '{files.Snapshot}' as '{aside}' before replacing it.");
            }
        }

        /// <summary>After a replacement: the old batch's backups and temp files go (moved-aside copies stay).</summary>
        private void DeleteLeftovers(BatchFiles files)
        {
            foreach (string name in _parts.Fs.ListFiles(files.Directory, "*"))
            {
                bool leftover = files.IsMigrationBackup(name) || files.IsTempFile(name); // under the lock, every temp file is a crash's leftover
                if (!leftover) continue;
                string path = Path.Combine(files.Directory, name);
                Guard(path, "delete", () => _parts.Fs.Delete(path));
            }
        }
    }
}
