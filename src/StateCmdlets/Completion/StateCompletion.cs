using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Completion
{
    /// <summary>What the completers share: the state directory the command line names, and quoting.</summary>
    internal static class StateCompletion
    {
        /// <summary>Completion must stay instant: beyond this many batches, names are not read.</summary>
        internal const int MaxBatchesRead = 200;

        internal static IBatchStore StoreFor(IDictionary fakeBoundParameters)
        {
            string? directory = fakeBoundParameters.Contains("StateDirectory") ? Convert.ToString(fakeBoundParameters["StateDirectory"]) : null;
            if (string.IsNullOrEmpty(directory)) directory = Core.Storage.StateDirectory.Default();
            if (!Path.IsPathRooted(directory))
            {
                // Relative to PowerShell's location, not the process's: ask the runspace running the completion.
                string? here = CurrentLocation();
                if (here != null) directory = Path.Combine(here, directory);
            }
            return new Core.Batches.FileStore.FileBatchStore(directory!);
        }

        private static string? CurrentLocation()
        {
            try
            {
                var result = ScriptBlock.Create("(Get-Location -PSProvider FileSystem).ProviderPath").Invoke();
                return result.Count > 0 ? result[0]?.BaseObject as string : null;
            }
            catch (RuntimeException)
            {
                return null;
            }
        }

        internal static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string wordToComplete, string tooltipPrefix)
        {
            string typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
            var pattern = new WildcardPattern(typed + "*", WildcardOptions.IgnoreCase);
            return values
                .Where(v => pattern.IsMatch(v))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(v => v, StringComparer.OrdinalIgnoreCase)
                .Select(v => new CompletionResult(Quote(v), v, CompletionResultType.ParameterValue, tooltipPrefix + v));
        }

        internal static IEnumerable<string> SafeIds(IBatchStore store)
        {
            try { return store.ListBatchIds(); }
            catch (StateException) { return Array.Empty<string>(); }
        }

        internal static Batch? SafeLoad(IBatchStore store, string id)
        {
            try { return store.Load(id); }
            catch (StateException) { return null; }
        }

        private static string Quote(string value) =>
            value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' || c == '.')
                ? value
                : "'" + value.Replace("'", "''") + "'";
    }
}
