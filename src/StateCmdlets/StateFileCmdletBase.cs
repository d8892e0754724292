using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using StateCmdlets.Core;
using StateCmdlets.Core.StateFiles;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets
{
    /// <summary>
    /// What the state-file commands share: provider path resolution (wildcards where reading,
    /// literal paths where writing), Ctrl+C cancellation, error mapping and the store. They have no
    /// -StateDirectory: a state file is wherever its path says.
    /// </summary>
    public abstract class StateFileCmdletBase : PSCmdlet
    {
        private static readonly HashSet<string> WarnedFolders = new HashSet<string>(StringComparer.Ordinal);
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private StateFileStore? _store;

        /// <summary>Cancelled by Ctrl+C (StopProcessing); every lock wait observes it.</summary>
        protected CancellationToken Cancellation => _stopping.Token;

        /// <summary>Lock timeout for the store; commands that lock override it with their parameter.</summary>
        protected virtual TimeSpan EffectiveLockTimeout => StateFileOptions.DefaultLockTimeout;

        protected StateFileStore Store => _store ??= new StateFileStore(new StateFileOptions { LockTimeout = EffectiveLockTimeout, Trace = WriteVerbose });

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>
        /// The file-system paths of existing files a -Path (wildcards) or -LiteralPath names. A path
        /// that matches nothing is a StateFileNotFound error; folders a wildcard matches are skipped.
        /// </summary>
        protected IEnumerable<string> ResolveToRead(string path, bool literal)
        {
            if (literal)
            {
                string? one = ResolveToWrite(path);
                if (one != null) yield return one;
                yield break;
            }
            List<string> resolved;
            ProviderInfo provider;
            try
            {
                resolved = new List<string>(GetResolvedProviderPathFromPSPath(path, out provider));
            }
            catch (SessionStateException e)
            {
                WriteError(new ErrorRecord(e, "StateFileNotFound", ErrorCategory.ObjectNotFound, path));
                yield break;
            }
            if (!IsFileSystem(provider, path)) yield break;
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(path);
            foreach (string file in resolved)
            {
                if (wildcard && System.IO.Directory.Exists(file)) continue;
                yield return file;
            }
        }

        /// <summary>The file-system path a -Path names, existing or not, as the provider resolves it; null after an error.</summary>
        protected string? ResolveToWrite(string path)
        {
            string resolved;
            ProviderInfo provider;
            try
            {
                resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
            }
            catch (SessionStateException e)
            {
                WriteError(new ErrorRecord(e, "StateFileNotFound", ErrorCategory.ObjectNotFound, path));
                return null;
            }
            if (!IsFileSystem(provider, path)) return null;
            WarnIfNetworkFileSystem(System.IO.Path.GetDirectoryName(resolved));
            return resolved;
        }

        /// <summary>A -SchemaVersion or -TargetVersion as major.minor.patch; anything else stops the command.</summary>
        protected SchemaVersion? ParseVersion(string? text, string parameter)
        {
            if (text == null) return null;
            if (SchemaVersion.TryParse(text, out var version)) return version;
            ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidSchemaVersion",
                $"-{parameter} '{text}' is not a major.minor.patch version such as '1.2.0'.", text));
            return null;
        }

        /// <summary>Runs a core call; its failures become non-terminating errors, Ctrl+C stops the pipeline.</summary>
        protected bool TryRun(Action action, object? target)
        {
            try
            {
                action();
                return true;
            }
            catch (StateException e)
            {
                WriteError(ErrorRecordFactory.FromStateFile(e, target));
                return false;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        private bool IsFileSystem(ProviderInfo provider, string path)
        {
            if (string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase)) return true;
            WriteError(ErrorRecordFactory.InvalidArgument("StateFileNotFileSystem",
                $"'{path}' is on the {provider.Name} provider; state files live in the file system.", path));
            return false;
        }

        /// <summary>Once per folder and process: flock and fsync over NFS or SMB do not keep the guarantees.</summary>
        private void WarnIfNetworkFileSystem(string? folder)
        {
            if (string.IsNullOrEmpty(folder)) return;
            lock (WarnedFolders)
            {
                if (!WarnedFolders.Add(folder!)) return;
            }
            string? type = Core.Storage.FileSystemKind.NetworkTypeOf(folder!);
            if (type != null)
                WriteWarning($"'{folder}' is on a network file system ({type}). Locking and durability there are only as good as the server's: lost updates are possible when several machines write. Prefer a local disk.");
        }
    }
}
