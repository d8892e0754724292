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
    /// <summary>What the completers share: the store the command line names (as the command would pick it), and quoting.</summary>
    internal static class StateCompletion
    {
        /// <summary>Completion must stay instant: beyond this many batches, names are not read.</summary>
        internal const int MaxBatchesRead = 200;

        /// <summary>Completion waits this long for a database at most: a slow one gives no completions, not a hang.</summary>
        private static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(3);

        /// <summary>
        /// The store the command line names, chosen as the command itself would choose it (-Store,
        /// -StateDirectory, $env:STATECMDLETS_STORE, the default folder); null when it names none
        /// this host can use.
        /// </summary>
        internal static IBatchStore? StoreFor(IDictionary fakeBoundParameters)
        {
            var choice = StoreLocator.Choose(Text(fakeBoundParameters, "Store"), Text(fakeBoundParameters, "StateDirectory"));
            if (choice.Kind == StoreKind.PostgreSql)
            {
                try { return PostgreSqlStores.Open(choice.Text, Text(fakeBoundParameters, "Schema"), null, DatabaseTimeout, null, "-Store"); }
                catch (StateException) { return null; }
            }
            string directory = choice.Text;
            if (!Path.IsPathRooted(directory))
            {
                // Relative to PowerShell's location, not the process's: ask the runspace running the completion.
                string? here = CurrentLocation();
                if (here != null) directory = Path.Combine(here, directory);
            }
            return new Core.Batches.FileStore.FileBatchStore(directory);
        }

        private static string? Text(IDictionary fakeBoundParameters, string name) =>
            fakeBoundParameters.Contains(name) ? Convert.ToString(fakeBoundParameters[name], System.Globalization.CultureInfo.InvariantCulture) : null;

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

        internal static IEnumerable<string> SafeIds(IBatchStore? store)
        {
            if (store == null) return Array.Empty<string>();
            try { return store.ListBatchIds(); }
            catch (StateException) { return Array.Empty<string>(); }
        }

        internal static Batch? SafeLoad(IBatchStore? store, string id)
        {
            if (store == null) return null;
            try { return store.Load(id); }
            catch (StateException) { return null; }
        }

        private static string Quote(string value) =>
            value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' || c == '.')
                ? value
                : "'" + value.Replace("'", "''") + "'";
    }
}
