using System.Management.Automation;

using StateCmdlets.Completion;

namespace StateCmdlets.Commands
{
    /// <summary>Deletes a batch's files: snapshot, journal, backups and lock. Deleting recorded work asks first (ConfirmImpact High).</summary>
    [Cmdlet(VerbsCommon.Remove, "BatchState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemoveBatchStateCommand : LockingBatchCmdletBase
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
                string target = id;
                if (!TryRun(() => target = store.Address(id), id)) continue;
                if (!ShouldProcess(target, "Remove batch and all its files")) continue;
                TryRun(() => store.Remove(id, Cancellation), id);
            }
        }
    }
}
