using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;

using StateCmdlets.Completion;

namespace StateCmdlets.Commands
{
    /// <summary>Gets one batch by id, the batches whose name matches, or every batch in the state directory.</summary>
    [Cmdlet(VerbsCommon.Get, "BatchState", DefaultParameterSetName = ByNameSet)]
    [OutputType(typeof(BatchState))]
    public sealed class GetBatchStateCommand : StateCmdletBase
    {
        private const string ByNameSet = "ByName";
        private const string ByIdSet = "ById";

        [Parameter(Position = 0, ParameterSetName = ByNameSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchNameCompleter))]
        public string[]? Name { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ByIdSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string[] BatchId { get; set; } = new string[0];

        protected override void ProcessRecord()
        {
            var store = Store;
            if (ParameterSetName == ByIdSet)
            {
                foreach (string id in BatchId)
                {
                    Batch? batch = null;
                    if (TryRun(() => batch = store.Load(id), id)) WriteObject(new BatchState(batch!, store));
                }
                return;
            }

            // A folder the user named that does not exist is a typo worth hearing about; the default one
            // not existing yet just means no batch was ever made.
            if (MyInvocation.BoundParameters.ContainsKey(nameof(StateDirectory)) && !store.LocationExists)
            {
                WriteError(new ErrorRecord(new System.IO.DirectoryNotFoundException($"The state directory '{store.Location}' does not exist."),
                    "StateDirectoryNotFound", ErrorCategory.ObjectNotFound, store.Location));
                return;
            }

            var patterns = (Name ?? new[] { "*" }).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var matched = new bool[patterns.Count];
            var found = new List<BatchState>();
            IReadOnlyList<string> ids = new string[0];
            if (!TryRun(() => ids = store.ListBatchIds(), store.Location)) return;
            foreach (string id in ids)
            {
                Batch? batch = null;
                // A damaged file is reported and the listing goes on.
                if (!TryRun(() => batch = store.Load(id), id)) continue;
                bool any = false;
                for (int i = 0; i < patterns.Count; i++)
                {
                    if (!patterns[i].IsMatch(batch!.Name)) continue;
                    matched[i] = true;
                    any = true;
                }
                if (any) found.Add(new BatchState(batch!, store));
            }
            foreach (var state in found.OrderBy(b => b.CreatedAt).ThenBy(b => b.BatchId, System.StringComparer.Ordinal)) WriteObject(state);

            // Like Get-Process: a literal name that matches nothing is an error; a wildcard is not.
            for (int i = 0; i < patterns.Count; i++)
            {
                string name = (Name ?? new[] { "*" })[i];
                if (matched[i] || WildcardPattern.ContainsWildcardCharacters(name)) continue;
                WriteError(new ErrorRecord(new ItemNotFoundException($"No batch named '{name}' in '{store.Location}'."),
                    "BatchNotFound", ErrorCategory.ObjectNotFound, name));
            }
        }
    }
}
