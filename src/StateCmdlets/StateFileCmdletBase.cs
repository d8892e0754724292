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
    public abstract class StateFileCmdletBase : CancellableCmdlet
    {
        private StateFileStore? _store;

        /// <summary>Lock timeout for the store; commands that lock override it with their parameter.</summary>
        protected virtual TimeSpan EffectiveLockTimeout => StateFileOptions.DefaultLockTimeout;

        protected StateFileStore Store => _store ??= new StateFileStore(new StateFileOptions { LockTimeout = EffectiveLockTimeout, Trace = TraceQuietly });

        /// <summary>True once a path could not be resolved to a file (its error was written): Test-StateFile -Quiet is then false.</summary>
        protected bool UnresolvedPathReported { get; private set; }

        /// <summary>
        /// The file-system paths of existing files a -Path (wildcards) or -LiteralPath names. A path
        /// that matches nothing is a StateFileNotFound error. What a wildcard matches skips folders
        /// and the module's own files (locks, backups, temp files, copies set aside); a path
        /// without wildcards is taken as it is.
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
                ReportUnresolved(new ErrorRecord(e, "StateFileNotFound", ErrorCategory.ObjectNotFound, path));
                yield break;
            }
            if (!IsFileSystem(provider, path)) yield break;
            bool wildcard = WildcardPattern.ContainsWildcardCharacters(path);
            foreach (string file in resolved)
            {
                if (wildcard && System.IO.Directory.Exists(file)) continue;
                if (wildcard && Core.Storage.AuxiliaryFiles.IsAuxiliary(System.IO.Path.GetFileName(file)))
                {
                    WriteVerbose($"Skipped '{file}': a lock, backup, temporary or set-aside file, not a state file (name it without wildcards to read it).");
                    continue;
                }
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
                ReportUnresolved(new ErrorRecord(e, "StateFileNotFound", ErrorCategory.ObjectNotFound, path));
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

        protected override ErrorRecord ToErrorRecord(StateException exception, object? target) => ErrorRecordFactory.FromStateFile(exception, target);

        private void ReportUnresolved(ErrorRecord error)
        {
            UnresolvedPathReported = true;
            WriteError(error);
        }

        private bool IsFileSystem(ProviderInfo provider, string path)
        {
            if (string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase)) return true;
            ReportUnresolved(ErrorRecordFactory.InvalidArgument("StateFileNotFileSystem",
                $"'{path}' is on the {provider.Name} provider; state files live in the file system.", path));
            return false;
        }
    }
}
