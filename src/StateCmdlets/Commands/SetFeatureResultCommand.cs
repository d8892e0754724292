using System.Management.Automation;
using StateCmdlets.Core.Batches;

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
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string BatchId { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
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
            Feature? recorded = null;
            if (!TryRun(() => recorded = store.Record(BatchId, result, Cancellation), Feature)) return;
            if (PassThru) WriteObject(new FeatureState(BatchId, store.StateDirectory, recorded!));
        }
    }
}
