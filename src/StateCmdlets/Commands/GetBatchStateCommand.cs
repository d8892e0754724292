using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;

using StateCmdlets.Completion;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Gets batches by id or name (the positional -Identity, wildcards for both), by exact id
    /// (-BatchId), by name (-Name), or every batch in the state directory.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "BatchState", DefaultParameterSetName = ByIdentitySet)]
    [OutputType(typeof(BatchState))]
    public sealed class GetBatchStateCommand : BatchCmdletBase
    {
        private const string ByIdentitySet = "ByIdentity";
        private const string ByNameSet = "ByName";
        private const string ByIdSet = "ById";

        /// <summary>Batch ids or names, wildcards allowed: `Get-BatchState patch-2026-11` and `Get-BatchState 'Nightly*'` both work.</summary>
        [Parameter(Position = 0, ParameterSetName = ByIdentitySet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdentityCompleter))]
        public string[]? Identity { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = ByNameSet)]
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
            var choice = StoreChoice;
            var store = Open(choice, DescribeOrigin(choice.Origin));
            if (ParameterSetName == ByIdSet)
            {
                GetByIds(store, choice.Kind, BatchId);
                return;
            }
            // An identity that is the id of a batch needs no listing of the folder.
            bool allIds = false;
            if (Identity != null && !TryRun(() => allIds = Identity.All(i => !WildcardPattern.ContainsWildcardCharacters(i) && Core.Batches.BatchId.IsValid(i) && store.Exists(i)), store.Location)) return;
            if (allIds)
            {
                GetByIds(store, choice.Kind, Identity!);
                return;
            }

            // The listing first: a state directory that is a file is the core's error, whichever folder it is.
            IReadOnlyList<string> ids = new string[0];
            if (!TryRun(() => ids = store.ListBatchIds(), store.Location)) return;
            // A folder the user named that does not exist is a typo worth hearing about; the default one
            // not existing yet just means no batch was ever made (and so does a database without our schema).
            bool named = choice.Origin == StoreOrigin.StateDirectoryParameter || choice.Origin == StoreOrigin.StoreParameter;
            if (choice.Kind == StoreKind.File && named && !store.LocationExists)
            {
                WriteError(new ErrorRecord(new System.IO.DirectoryNotFoundException($"The state directory '{store.Location}' does not exist."),
                    "StateDirectoryNotFound", ErrorCategory.ObjectNotFound, store.Location));
                return;
            }

            bool byIdentity = ParameterSetName == ByIdentitySet;
            string[] wanted = (byIdentity ? Identity : Name) ?? new[] { "*" };
            var patterns = wanted.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var matched = new bool[patterns.Count];
            if (ids.Count == 0 && choice.Kind == StoreKind.File) BatchesElsewhereHint.WarnIfEmpty(this, store, StoreAt);
            var found = new List<BatchState>();
            foreach (string id in ids)
            {
                Batch? batch = null;
                // A damaged file is reported and the listing goes on; another program's JSON file is skipped.
                if (!TryRun(() => batch = store.Load(id), id, SkipNotABatch)) continue;
                bool any = false;
                for (int i = 0; i < patterns.Count; i++)
                {
                    if (!patterns[i].IsMatch(batch!.Name) && !(byIdentity && patterns[i].IsMatch(id))) continue;
                    matched[i] = true;
                    any = true;
                }
                if (any) found.Add(new BatchState(batch!, store));
            }
            foreach (var state in found.OrderBy(b => b.CreatedAt).ThenBy(b => b.BatchId, StringComparer.Ordinal)) WriteObject(state);

            // Like Get-Process: a literal name that matches nothing is an error; a wildcard is not.
            for (int i = 0; i < patterns.Count; i++)
            {
                if (matched[i] || WildcardPattern.ContainsWildcardCharacters(wanted[i])) continue;
                string what = byIdentity ? "with the id or name" : "named";
                WriteError(new ErrorRecord(new ItemNotFoundException($"No batch {what} '{wanted[i]}' in '{store.Location}'."),
                    "BatchNotFound", ErrorCategory.ObjectNotFound, wanted[i]));
            }
        }

        private void GetByIds(IBatchStore store, StoreKind kind, IEnumerable<string> ids)
        {
            bool missing = false;
            foreach (string id in ids)
            {
                Batch? batch = null;
                if (TryRun(() => batch = store.Load(id), id, e => { missing |= e is BatchNotFoundException; return false; }))
                    WriteObject(new BatchState(batch!, store));
            }
            if (missing && kind == StoreKind.File) BatchesElsewhereHint.WarnIfEmpty(this, store, StoreAt);
        }
    }
}
