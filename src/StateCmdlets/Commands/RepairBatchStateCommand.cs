using System.Management.Automation;
using StateCmdlets.Completion;
using StateCmdlets.Core.Batches;

using StateCmdlets.Core;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Mends damaged batches: moves a damaged file aside (never deletes it), rebuilds from the newest
    /// good backup plus the journal, removes temporary files of interrupted writes, and reports
    /// what it recovered and what it could not.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Repair, "BatchState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(RepairReport))]
    public sealed class RepairBatchStateCommand : LockingBatchCmdletBase
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string[] BatchId { get; set; } = new string[0];

        protected override void ProcessRecord()
        {
            var store = CurrentStore;
            foreach (string id in BatchId)
            {
                System.Collections.Generic.IReadOnlyList<StateProblem>? problems = null;
                if (!TryRun(() => problems = store.Inspect(id), id)) continue;
                string what = problems!.Count == 0 ? "Check (no problem found)" : "Repair: " + string.Join("; ", System.Linq.Enumerable.Select(problems, p => p.Kind.ToString()));
                if (!ShouldProcess(store.Address(id), what)) continue;
                RepairReport? report = null;
                if (!TryRun(() => report = store.Repair(id, Cancellation), id)) continue;
                foreach (string lost in report!.Lost) WriteWarning($"{id}: {lost}");
                WriteObject(report);
            }
        }
    }
}
