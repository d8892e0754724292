using System.Management.Automation;
using StateCmdlets.Completion;
using StateCmdlets.Core.Batches;

namespace StateCmdlets
{
    /// <summary>
    /// A command that makes one batch-wide change (Checkpoint-BatchState, Reset-BatchContext):
    /// -BatchId from the pipeline, -WhatIf/-Confirm, and -PassThru for the batch afterwards.
    /// </summary>
    public abstract class BatchChangeCmdletBase : LockingBatchCmdletBase
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string BatchId { get; set; } = string.Empty;

        /// <summary>Emit the batch afterwards.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>What the change does, for -WhatIf and -Confirm.</summary>
        protected abstract string Action { get; }

        /// <summary>Makes the change through the store.</summary>
        private protected abstract void Change(IBatchStore store, string batchId);

        protected override void ProcessRecord()
        {
            var store = CurrentStore;
            string target = BatchId;
            if (!TryRun(() => target = store.Address(BatchId), BatchId)) return;
            if (!ShouldProcess(target, Action)) return;
            if (!TryRun(() => Change(store, BatchId), BatchId) || !PassThru) return;
            Batch? batch = null;
            if (TryRun(() => batch = store.Load(BatchId), BatchId)) WriteObject(new BatchState(batch!, store));
        }
    }
}
