using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets
{
    /// <summary>
    /// What every batch command shares, and only batch commands: -StateDirectory (bound from piped
    /// BatchState and FeatureState objects), its provider path resolution, and the store for it.
    /// </summary>
    public abstract class BatchCmdletBase : CancellableCmdlet
    {
        private readonly Dictionary<string, IBatchStore> _stores = new Dictionary<string, IBatchStore>(StringComparer.Ordinal);

        /// <summary>
        /// Folder holding the batches. Default: $env:STATECMDLETS_HOME, else the per-user state folder.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? StateDirectory { get; set; }

        /// <summary>Lock timeout for the store; cmdlets that lock override it with their parameter.</summary>
        protected virtual TimeSpan EffectiveLockTimeout => FileStoreOptions.DefaultLockTimeout;

        /// <summary>The store for the current -StateDirectory (or the default), resolved through the provider.</summary>
        private protected IBatchStore Store => StoreAt(ResolveDirectory(StateDirectory));

        /// <summary>
        /// For listings: another program's JSON file in the state directory is no batch, so it is
        /// skipped (-Verbose says so) rather than reported as damage. True when it was skipped.
        /// </summary>
        protected bool SkipNotABatch(StateException exception)
        {
            if (!(exception is StateFileCorruptException { Kind: CorruptionKind.NotABatch })) return false;
            WriteVerbose($"Skipped: {exception.Message}");
            return true;
        }

        protected string ResolveDirectory(string? directory)
        {
            // The default too goes through the provider, so a relative $env:STATECMDLETS_HOME means $PWD, as in any cmdlet.
            if (string.IsNullOrEmpty(directory)) directory = Core.Storage.StateDirectory.Default();
            // A full file-system path (what piped objects carry) needs no provider: skip its cost per record.
            if (IsPlainFullPath(directory!)) return directory!;
            string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(directory, out ProviderInfo provider, out _);
            if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
                ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("StateDirectoryNotFileSystem",
                    $"The state directory '{directory}' is on the {provider.Name} provider; state lives in the file system.", directory));
            return path;
        }

        private static bool IsPlainFullPath(string directory)
        {
            if (directory.IndexOf('~') >= 0 || !System.IO.Path.IsPathRooted(directory)) return false;
            if (System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows) && !(directory.Length > 2 && directory[1] == ':' && (directory[2] == '\\' || directory[2] == '/')))
                return false; // only X:\ paths; anything else may be a PowerShell drive
            try { return string.Equals(System.IO.Path.GetFullPath(directory), directory, StringComparison.Ordinal); }
            catch (ArgumentException) { return false; }
        }

        /// <summary>The store of batches in <paramref name="directory"/> (a full path), made once per command.</summary>
        private protected IBatchStore StoreAt(string directory)
        {
            if (_stores.TryGetValue(directory, out var store)) return store;
            WarnIfNetworkFileSystem(directory);
            store = new FileBatchStore(directory, StoreOptions());
            _stores.Add(directory, store);
            return store;
        }

        /// <summary>
        /// A store for background work (the claim heartbeat) on the same location: no cmdlet output
        /// in its tracing, which only the pipeline's own thread may write.
        /// </summary>
        private protected static IBatchStore DetachedStore(IBatchStore store) => new FileBatchStore(store.Location, new FileStoreOptions());

        /// <summary>This PowerShell session (runspace) of this process, as the worker that claims features.</summary>
        private protected static WorkerIdentity SessionWorker
        {
            get
            {
                var runspace = System.Management.Automation.Runspaces.Runspace.DefaultRunspace;
                string session = runspace == null ? "main" : runspace.InstanceId.ToString("N").Substring(0, 8);
                return WorkerIdentity.Current(session);
            }
        }

        /// <summary>The store of the folder of a batch snapshot file (Invoke-StateMigration -Path), and the batch's id.</summary>
        private protected IBatchStore StoreForSnapshot(string snapshotPath, out string batchId) => FileBatchStore.ForSnapshot(snapshotPath, StoreOptions(), out batchId);

        private FileStoreOptions StoreOptions() => new FileStoreOptions
        {
            LockTimeout = EffectiveLockTimeout,
            Trace = TraceQuietly,
        };
    }
}
