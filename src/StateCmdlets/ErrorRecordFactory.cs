using System.Management.Automation;
using StateCmdlets.Core;

namespace StateCmdlets
{
    /// <summary>
    /// The one place a core failure becomes an ErrorRecord: a stable error id, the right category,
    /// the file (or feature) as target, and what to do about it.
    /// </summary>
    internal static class ErrorRecordFactory
    {
        /// <summary>
        /// The target is the file concerned when there is one (a FeatureNotFound names the feature);
        /// <paramref name="fallbackTarget"/> otherwise, such as an invalid batch id.
        /// </summary>
        internal static ErrorRecord From(StateException exception, object? fallbackTarget = null)
        {
            object? target = exception is FeatureNotFoundException missing ? missing.Feature : exception.Path ?? fallbackTarget;
            var record = new ErrorRecord(exception, exception.ErrorId, Category(exception.Category), target);
            string? action = RecommendedAction(exception.ErrorId);
            if (action != null) record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = action };
            return record;
        }

        /// <summary>
        /// For state files (Read-StateFile and the like): the same ids and categories, with advice
        /// that speaks of files and scripts rather than batches.
        /// </summary>
        internal static ErrorRecord FromStateFile(StateException exception, object? fallbackTarget = null)
        {
            var record = From(exception, fallbackTarget);
            string? action = StateFileAction(exception.ErrorId);
            if (action != null) record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = action };
            return record;
        }

        internal static ErrorRecord InvalidArgument(string errorId, string message, object? target) =>
            new ErrorRecord(new System.ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target);

        private static ErrorCategory Category(StateErrorCategory category)
        {
            switch (category)
            {
                case StateErrorCategory.ObjectNotFound: return ErrorCategory.ObjectNotFound;
                case StateErrorCategory.ResourceExists: return ErrorCategory.ResourceExists;
                case StateErrorCategory.InvalidData: return ErrorCategory.InvalidData;
                case StateErrorCategory.InvalidOperation: return ErrorCategory.InvalidOperation;
                case StateErrorCategory.InvalidResult: return ErrorCategory.InvalidResult;
                case StateErrorCategory.OperationTimeout: return ErrorCategory.OperationTimeout;
                case StateErrorCategory.DeadlockDetected: return ErrorCategory.DeadlockDetected;
                case StateErrorCategory.PermissionDenied: return ErrorCategory.PermissionDenied;
                case StateErrorCategory.WriteError: return ErrorCategory.WriteError;
                case StateErrorCategory.ResourceUnavailable: return ErrorCategory.ResourceUnavailable;
                default: return ErrorCategory.InvalidArgument;
            }
        }

        private static string? StateFileAction(string errorId)
        {
            switch (errorId)
            {
                case StateErrorIds.StateFileCorrupt:
                    return "The file was not changed. Inspect it, restore it from a backup (<file>.v*.bak) or save a fresh document over it with Save-StateFile.";
                case StateErrorIds.StateLockTimeout:
                    return "Another process holds the file's lock (see the message). Wait for it to finish, or raise -LockTimeout (-Timeout for Use-StateLock).";
                case StateErrorIds.StateLockReentrant:
                    return "Inside Use-StateLock or Update-StateFile, do not save, update or lock the same file again: read it with Read-StateFile, or make the whole change in one Update-StateFile.";
                case StateErrorIds.StateVersionTooNew:
                    return "Run the newer version of the script that wrote the file, or restore an older copy.";
                case StateErrorIds.StateMigrationRequired:
                case StateErrorIds.StateVersionUnknown:
                    return "Migrate the file with Invoke-StateMigration -Path <file> -Step, with a step from the file's version.";
                case StateErrorIds.StateUpdateFailed:
                    return "Fix the error in the script block (the message says which; Exception.InnerException.ErrorRecord has the details). Nothing was written, so running the update again is safe.";
                case StateErrorIds.StateFileIsFolder:
                    return "Give the path of a file, such as <folder>/state.json, not of a folder.";
                default:
                    return null;
            }
        }

        private static string? RecommendedAction(string errorId)
        {
            switch (errorId)
            {
                case StateErrorIds.StateFileCorrupt:
                    return "The file was not changed. Test-BatchState lists what is wrong; Repair-BatchState keeps the damaged file aside and rebuilds the batch from its backup (<id>.json.bak) plus the journal.";
                case StateErrorIds.StateLockTimeout:
                    return "Another process holds the batch (see the message). Wait for it to finish, or raise -LockTimeout.";
                case StateErrorIds.StateVersionTooNew:
                    return "Update the StateCmdlets module to a version that knows this schema.";
                case StateErrorIds.BatchNotFound:
                    return "Check -BatchId and where the batches are (-Store, -StateDirectory, $env:STATECMDLETS_STORE); Get-BatchState lists the batches of a store.";
                case StateErrorIds.StateLockReentrant:
                    return "Do not call a state cmdlet on a batch from inside an operation that already holds its lock.";
                case StateErrorIds.NotABatchFile:
                    return "The file was not changed. Keep other programs' files (state files too) out of the state directory: listings skip them, and Repair-BatchState cannot make one a batch.";
                case StateErrorIds.StateDirectoryNotFound:
                    return "Name a folder with -StateDirectory or $env:STATECMDLETS_HOME.";
                case StateErrorIds.StateStoreUnavailable:
                    return "Check that the database server is up and reachable, and the host, database and user of the connection string and their password (-Credential, PGPASSWORD or ~/.pgpass). A server restarting is waited for up to -LockTimeout.";
                case StateErrorIds.StateStoreNotSupported:
                    return "Use PowerShell 7.4 or later (pwsh) for a PostgreSQL store; Windows PowerShell 5.1 has the file store only (-StateDirectory).";
                case StateErrorIds.InvalidStore:
                    return "Name the database with an Npgsql connection string (Host=db1;Database=automation;Username=ops) or a postgresql:// URI, and keep its password out of it: -Credential, PGPASSWORD or ~/.pgpass.";
                default:
                    return null;
            }
        }
    }
}
