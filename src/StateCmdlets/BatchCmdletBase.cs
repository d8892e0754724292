using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets
{
    /// <summary>
    /// What every batch command shares, and only batch commands: where the batches are (-Store, a
    /// PostgreSQL database or a folder; -StateDirectory; both bound from piped BatchState and
    /// FeatureState objects; else $env:STATECMDLETS_STORE, else the file store's default folder),
    /// -Credential and -Schema for a database, and the store for it, chosen once per store named.
    /// </summary>
    public abstract class BatchCmdletBase : CancellableCmdlet
    {
        private readonly Dictionary<string, IBatchStore> _stores = new Dictionary<string, IBatchStore>(StringComparer.Ordinal);
        private bool _commandLineRead;
        private string? _commandLineStore;
        private string? _commandLineDirectory;

        /// <summary>
        /// Where the batches are: a PostgreSQL connection string or postgresql:// URI, or a state
        /// directory. Default: $env:STATECMDLETS_STORE, else the file store (-StateDirectory).
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? Store { get; set; }

        /// <summary>
        /// Folder holding the batches (the file store). Default: $env:STATECMDLETS_HOME, else the
        /// per-user state folder. Named on the command line, it wins over $env:STATECMDLETS_STORE.
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? StateDirectory { get; set; }

        /// <summary>A PostgreSQL user and password, over those of the connection string, PGPASSWORD or ~/.pgpass.</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>The module's schema in a PostgreSQL database (default: the URI's schema, the Search Path's first, else statecmdlets).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Schema { get; set; }

        /// <summary>Lock timeout for the store; cmdlets that lock override it with their parameter.</summary>
        protected virtual TimeSpan EffectiveLockTimeout => FileStoreOptions.DefaultLockTimeout;

        /// <summary>
        /// Whether a piped object's Store or StateDirectory chooses the store (true), or only the
        /// command line and the environment do (New-BatchState: the batch goes where the command says,
        /// never where its last piped item came from).
        /// </summary>
        private protected virtual bool StoreFromPipeline => true;

        /// <summary>
        /// Notes what the command line itself named (a piped object binds -Store and -StateDirectory
        /// later, and never wins over it). Overrides call it first.
        /// </summary>
        protected override void BeginProcessing() => ReadCommandLine();

        private void ReadCommandLine()
        {
            if (_commandLineRead) return;
            _commandLineRead = true;
            var bound = MyInvocation.BoundParameters;
            if (bound.ContainsKey(nameof(Store)))
            {
                if (string.IsNullOrWhiteSpace(Store)) ThrowTerminatingError(EmptyArgument(nameof(Store)));
                _commandLineStore = Store;
            }
            if (bound.ContainsKey(nameof(StateDirectory)))
            {
                if (string.IsNullOrEmpty(StateDirectory)) ThrowTerminatingError(EmptyArgument(nameof(StateDirectory)));
                _commandLineDirectory = StateDirectory;
            }
        }

        private static ErrorRecord EmptyArgument(string parameter) =>
            ErrorRecordFactory.InvalidArgument("ParameterArgumentValidationError", $"Cannot validate argument on parameter '{parameter}'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.", null);

        /// <summary>
        /// The store this record goes to: the command line's -Store or -StateDirectory, else a piped
        /// object's, else $env:STATECMDLETS_STORE, else the file store's default folder.
        /// </summary>
        private protected StoreChoice StoreChoice
        {
            get
            {
                ReadCommandLine();
                if (_commandLineStore != null || _commandLineDirectory != null || !StoreFromPipeline) return StoreLocator.Choose(_commandLineStore, _commandLineDirectory);
                return StoreLocator.Choose(Store, StateDirectory);
            }
        }

        /// <summary>The store of this record (see <see cref="StoreChoice"/>), made once per command.</summary>
        private protected IBatchStore CurrentStore
        {
            get
            {
                var choice = StoreChoice;
                return Open(choice, DescribeOrigin(choice.Origin));
            }
        }

        /// <summary>What named a store, as a message says it.</summary>
        private protected static string DescribeOrigin(StoreOrigin origin) => origin switch
        {
            StoreOrigin.StoreParameter => "-Store",
            StoreOrigin.StateDirectoryParameter => "-StateDirectory",
            StoreOrigin.StoreVariable => "$env:" + StoreLocator.EnvironmentVariable,
            _ => "the default state directory",
        };

        /// <summary>
        /// The store <paramref name="choice"/> names, made once per command. Text that names no
        /// usable store (a malformed connection string; PostgreSQL on Windows PowerShell 5.1;
        /// -Credential or -Schema with a folder) stops the command.
        /// </summary>
        private protected IBatchStore Open(StoreChoice choice, string namedBy)
        {
            if (choice.Kind == StoreKind.File)
            {
                string? databaseOnly = Credential != null ? nameof(Credential) : Schema != null ? nameof(Schema) : null;
                if (databaseOnly != null)
                    ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidStore",
                        $"-{databaseOnly} is for a PostgreSQL store, and the batches here are in a state directory ({namedBy}). Name the database with -Store or $env:{StoreLocator.EnvironmentVariable}, or leave -{databaseOnly} out.", databaseOnly));
                return StoreAt(ResolveDirectory(choice.Text));
            }
            string key = "\0" + choice.Text + "\0" + Schema;
            if (_stores.TryGetValue(key, out var store)) return store;
            try
            {
                var credential = Credential == null || Credential == PSCredential.Empty ? null : new NetworkCredential(Credential.UserName, Credential.Password);
                store = PostgreSqlStores.Open(choice.Text, Schema, credential, EffectiveLockTimeout, TraceQuietly, namedBy);
            }
            catch (StateException e)
            {
                ThrowTerminatingError(ToErrorRecord(e, namedBy));
                throw; // not reached: ThrowTerminatingError throws
            }
            _stores.Add(key, store);
            return store;
        }

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
        private protected static IBatchStore DetachedStore(IBatchStore store) =>
            store is FileBatchStore ? new FileBatchStore(store.Location, new FileStoreOptions()) : PostgreSqlStores.Detached(store);

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
