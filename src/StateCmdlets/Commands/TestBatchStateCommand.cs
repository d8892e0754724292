using System.Collections.Generic;
using System.Management.Automation;
using StateCmdlets.Completion;
using StateCmdlets.Core.Batches;

using StateCmdlets.Core;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Checks batches without changing anything: emits one object per problem found (damaged
    /// snapshot or journal, newer version, orphan temporary files, missing lock file), or with
    /// -Quiet just $true when every batch is sound.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "BatchState")]
    [OutputType(typeof(StateProblem), typeof(bool))]
    public sealed class TestBatchStateCommand : BatchCmdletBase
    {
        private bool _sound = true;

        /// <summary>The batches to check; all batches of the state directory when omitted.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string[]? BatchId { get; set; }

        /// <summary>Emit only $true (no problem) or $false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            var store = CurrentStore;
            IReadOnlyList<string> ids = BatchId ?? new string[0];
            if (BatchId == null && !TryRun(() => ids = store.ListBatchIdsToInspect(), store.Location)) return;
            foreach (string id in ids)
            {
                IReadOnlyList<StateProblem>? problems = null;
                if (!TryRun(() => problems = store.Inspect(id), id))
                {
                    _sound = false;
                    continue;
                }
                if (problems!.Count > 0) _sound = false;
                if (!Quiet) WriteObject(problems, enumerateCollection: true);
            }
        }

        protected override void EndProcessing()
        {
            if (Quiet) WriteObject(_sound);
        }
    }
}
