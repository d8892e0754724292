using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace StateCmdlets
{
    /// <summary>
    /// The one resolver of -Path (wildcards) and -LiteralPath, for every command that takes them:
    /// paths resolve against the current PowerShell location, through the FileSystem provider
    /// only, with the same non-terminating errors everywhere: StateFileNotFound for a path that
    /// names nothing (a missing file, drive or provider: -Path 'Q:\nope.json'), and
    /// StateFileNotFileSystem for a path on another provider (-Path Env:\HOME).
    /// </summary>
    internal sealed class ProviderPaths
    {
        private readonly PSCmdlet _cmdlet;

        internal ProviderPaths(PSCmdlet cmdlet) => _cmdlet = cmdlet;

        /// <summary>True once a path could not be resolved (its error was written): Test-StateFile -Quiet is then false.</summary>
        internal bool UnresolvedReported { get; private set; }

        /// <summary>
        /// The files a -Path (wildcards; <paramref name="literal"/> false) or -LiteralPath names. What
        /// a wildcard matches (perhaps nothing, as with Get-ChildItem) is taken as it is, or with
        /// <paramref name="onlyStateFiles"/> without folders and the module's own files (locks,
        /// backups, temporary files, copies set aside). A -Path without wildcards must name an
        /// existing item; a -LiteralPath is taken as it is, and whether that file exists is the core's to say.
        /// </summary>
        internal IEnumerable<string> Files(string path, bool literal, bool onlyStateFiles)
        {
            if (literal)
            {
                string? one = FileToWrite(path);
                if (one != null) yield return one;
                yield break;
            }
            List<string> resolved;
            ProviderInfo provider;
            try
            {
                resolved = new List<string>(_cmdlet.GetResolvedProviderPathFromPSPath(path, out provider));
            }
            catch (SessionStateException e)
            {
                Report(new ErrorRecord(e, "StateFileNotFound", ErrorCategory.ObjectNotFound, path));
                yield break;
            }
            if (!IsFileSystem(provider, path)) yield break;
            bool skip = onlyStateFiles && WildcardPattern.ContainsWildcardCharacters(path);
            foreach (string file in resolved)
            {
                if (skip && (System.IO.Directory.Exists(file) || Core.Storage.AuxiliaryFiles.IsAuxiliary(System.IO.Path.GetFileName(file))))
                {
                    _cmdlet.WriteVerbose($"Skipped '{file}': not a state file (a folder, or a lock, backup, temporary or set-aside file; name it without wildcards to take it).");
                    continue;
                }
                yield return file;
            }
        }

        /// <summary>The file-system path a path names, existing or not (wildcard characters are literal); null after its error.</summary>
        internal string? FileToWrite(string path)
        {
            string resolved;
            ProviderInfo provider;
            try
            {
                resolved = _cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
            }
            catch (SessionStateException e)
            {
                Report(new ErrorRecord(e, "StateFileNotFound", ErrorCategory.ObjectNotFound, path));
                return null;
            }
            if (!IsFileSystem(provider, path)) return null;
            NetworkFileSystemWarning.WarnOnce(_cmdlet, System.IO.Path.GetDirectoryName(resolved));
            return resolved;
        }

        private void Report(ErrorRecord error)
        {
            UnresolvedReported = true;
            _cmdlet.WriteError(error);
        }

        private bool IsFileSystem(ProviderInfo provider, string path)
        {
            if (string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase)) return true;
            Report(ErrorRecordFactory.InvalidArgument("StateFileNotFileSystem",
                $"'{path}' is on the {provider.Name} provider; state files live in the file system.", path));
            return false;
        }
    }
}
