using System.Management.Automation;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Folds the batch's journal into a fresh snapshot now (so B.json alone holds every result, for
    /// other tools or a backup), and counts the checkpoint in the batch.
    /// </summary>
    [Cmdlet(VerbsData.Checkpoint, "BatchState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BatchState))]
    public sealed class CheckpointBatchStateCommand : BatchChangeCmdletBase
    {
        protected override string Action => "Write a fresh snapshot with every result and start a new journal";

        private protected override void Change(IBatchStore store, string batchId) => store.Checkpoint(batchId, Cancellation);
    }
}
