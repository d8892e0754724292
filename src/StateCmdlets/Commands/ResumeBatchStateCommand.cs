using System.Management.Automation;
using StateCmdlets.Core.Batches;

using StateCmdlets.Completion;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Emits the features still to do, in batch order: pending ones, then (unless
    /// -IncludeFailed:$false) failed ones with attempts left. Pipe them to Set-FeatureResult.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Resume, "BatchState")]
    [OutputType(typeof(FeatureState))]
    public sealed class ResumeBatchStateCommand : StateCmdletBase
    {
        private bool _includeFailed = true;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string BatchId { get; set; } = string.Empty;

        /// <summary>Retry failed features that have attempts left (default). -IncludeFailed:$false skips them.</summary>
        [Parameter]
        public SwitchParameter IncludeFailed
        {
            get => _includeFailed;
            set => _includeFailed = value;
        }

        protected override void ProcessRecord()
        {
            var store = Store;
            Batch? batch = null;
            if (!TryRun(() => batch = store.Load(BatchId), BatchId)) return;
            int total = batch!.Total;
            int remaining = batch.RemainingCount(_includeFailed);
            var progress = new BatchProgress(batch.BatchId);
            try
            {
                int emitted = 0;
                foreach (var feature in batch.Remaining(_includeFailed))
                {
                    progress.Report(this, total - (remaining - emitted), total, feature.Name);
                    WriteObject(new FeatureState(batch.BatchId, store.StateDirectory, feature));
                    emitted++;
                }
            }
            finally
            {
                progress.Complete(this);
            }
        }
    }
}
