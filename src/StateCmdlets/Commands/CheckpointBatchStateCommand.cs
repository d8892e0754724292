using System.Management.Automation;
using StateCmdlets.Completion;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Folds the batch's journal into a fresh snapshot now (so B.json alone holds every result, for
    /// other tools or a backup), and counts the checkpoint in the batch.
    /// </summary>
    [Cmdlet(VerbsData.Checkpoint, "BatchState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BatchState))]
    public sealed class CheckpointBatchStateCommand : LockingStateCmdletBase
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
            if (!ShouldProcess(target, "Write a fresh snapshot with every result and start a new journal")) return;
            if (!TryRun(() => store.Checkpoint(BatchId, Cancellation), BatchId) || !PassThru) return;
            Batch? batch = null;
            if (TryRun(() => batch = store.Load(BatchId), BatchId)) WriteObject(new BatchState(batch!, store.Files(BatchId)));
        }
    }
}
