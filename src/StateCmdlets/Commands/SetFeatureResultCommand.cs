using System;
using System.Collections.Generic;
using System.Management.Automation;
using StateCmdlets.Core.Batches;

using StateCmdlets.Completion;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Records the outcome of one feature, durably, before returning. Every parameter binds by
    /// property name, so `$feature | Set-FeatureResult -Status Completed` works.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "FeatureResult")]
    [OutputType(typeof(FeatureState))]
    public sealed class SetFeatureResultCommand : LockingStateCmdletBase
    {
        private readonly Dictionary<string, BatchProgress> _progress = new Dictionary<string, BatchProgress>(StringComparer.Ordinal);

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string BatchId { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(FeatureNameCompleter))]
        public string Feature { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [ValidateSet("Completed", "Failed", "Skipped")]
        public FeatureStatus Status { get; set; }

        /// <summary>The error of a failure, or the reason for a skip.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull]
        [AllowEmptyString]
        public string? ErrorMessage { get; set; }

        /// <summary>Any object (hashtable, PSCustomObject, ...) stored as JSON with the feature; omitted keeps the current data.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowNull]
        public object? Data { get; set; }

        /// <summary>Emit the feature as recorded.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var result = new FeatureResult(Feature, Status, ErrorMessage, Data == null ? null : PowerShellJson.ToJson(Data));
            var store = Store;
            RecordOutcome? outcome = null;
            if (!TryRun(() => outcome = store.Record(BatchId, result, Cancellation), Feature)) return;
            ProgressOf(BatchId).Report(this, outcome!.Total - outcome.Remaining, outcome.Total, Feature);
            if (PassThru) WriteObject(new FeatureState(BatchId, store.StateDirectory, outcome.Feature));
        }

        protected override void EndProcessing()
        {
            foreach (var progress in _progress.Values) progress.Complete(this);
        }

        private BatchProgress ProgressOf(string batchId)
        {
            if (!_progress.TryGetValue(batchId, out var progress)) _progress[batchId] = progress = new BatchProgress(batchId);
            return progress;
        }
    }
}
