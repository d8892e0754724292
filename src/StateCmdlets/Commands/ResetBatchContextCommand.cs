using System.Management.Automation;
using StateCmdlets.Completion;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Records that the script cleared its context (a model conversation, a runspace, a process)
    /// and zeroes the batch's token estimate: the time and the tokens reached are kept.
    /// </summary>
    [Cmdlet(VerbsCommon.Reset, "BatchContext", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BatchState))]
    public sealed class ResetBatchContextCommand : LockingStateCmdletBase
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string BatchId { get; set; } = string.Empty;

        /// <summary>Emit the batch afterwards.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            string target = BatchId;
            if (!TryRun(() => target = store.Files(BatchId).Snapshot, BatchId)) return;
            if (!ShouldProcess(target, "Record a context clear and zero the token estimate")) return;
            if (!TryRun(() => store.ResetContext(BatchId, Cancellation), BatchId) || !PassThru) return;
            Batch? batch = null;
            if (TryRun(() => batch = store.Load(BatchId), BatchId)) WriteObject(new BatchState(batch!, store.Files(BatchId)));
        }
    }
}
