using System.Management.Automation;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Records that the script cleared its context (a model conversation, a runspace, a process)
    /// and zeroes the batch's token estimate: the time and the tokens reached are kept.
    /// </summary>
    [Cmdlet(VerbsCommon.Reset, "BatchContext", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BatchState))]
    public sealed class ResetBatchContextCommand : BatchChangeCmdletBase
    {
        protected override string Action => "Record a context clear and zero the token estimate";

        private protected override void Change(IBatchStore store, string batchId) => store.ResetContext(batchId, Cancellation);
    }
}
