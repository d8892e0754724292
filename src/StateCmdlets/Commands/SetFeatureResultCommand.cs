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
    public sealed class SetFeatureResultCommand : LockingBatchCmdletBase
    {
        // Two sets so that a piped FeatureState (InputObject) never binds its own Status to -Status:
        // its Pending would fail validation with a message about a value nobody typed.
        private const string ByPropertySet = "ByProperty";
        private const string FeatureSet = "Feature";

        private readonly Dictionary<string, BatchProgress> _progress = new Dictionary<string, BatchProgress>(StringComparer.Ordinal);
        private HashSet<string> _onCommandLine = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string BatchId { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(FeatureNameCompleter))]
        public string Feature { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ByPropertySet)]
        [Parameter(Position = 1, ParameterSetName = FeatureSet)]
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

        /// <summary>
        /// A feature from Resume-BatchState or Get-BatchState. It binds -BatchId, -Feature and its
        /// store (-Store, -StateDirectory); -Status must then be given on the command line, because the feature's
        /// own Status says where it stands, not what happened.
        /// </summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = FeatureSet)]
        public FeatureState? InputObject { get; set; }

        /// <summary>A failure that retrying cannot fix: the feature is never handed out again.</summary>
        [Parameter]
        public SwitchParameter Permanent { get; set; }

        /// <summary>The error of a failure (in catch: $_): gives -ErrorMessage, and its exception type is checked against the batch's permanent error types.</summary>
        [Parameter]
        public ErrorRecord? ErrorRecord { get; set; }

        /// <summary>Tokens this attempt used, added to the batch's context estimate.</summary>
        [Parameter]
        [ValidateRange(0L, long.MaxValue)]
        public long ContextTokens { get; set; }

        /// <summary>
        /// The fencing token of the claim the work was done under; a FeatureState from
        /// Resume-BatchState binds it. A result whose claim was lost is refused (ClaimLost).
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public long? ClaimToken { get; set; }

        /// <summary>Emit the feature as recorded.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            _onCommandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        }

        protected override void ProcessRecord()
        {
            object? data = Data;
            if (InputObject != null)
            {
                if (!_onCommandLine.Contains(nameof(Status)))
                {
                    WriteError(ErrorRecordFactory.InvalidArgument("FeatureStatusRequired",
                        $"Say what happened to '{InputObject.Feature}' with -Status Completed, Failed or Skipped: a piped feature's own Status ({InputObject.Status}) is where it stands, not a result.", InputObject.Feature));
                    return;
                }
                // The feature's data, bound by property name, is what is stored already: keep it as is.
                if (!_onCommandLine.Contains(nameof(Data))) data = null;
            }
            System.Text.Json.JsonElement? json = null;
            try
            {
                // Names differing only in case have always been stored in Data (the last one wins when read).
                if (data != null) json = PowerShellJson.ToJson(data, WriteWarning, allowCaseTwins: true);
            }
            catch (JsonConversionException e)
            {
                WriteError(ErrorRecordFactory.InvalidArgument("InvalidFeatureData", $"The -Data for feature '{Feature}' cannot be stored: {e.Message} Nothing was recorded.", Feature));
                return;
            }
            var result = new FeatureResult(Feature, Status, ErrorMessage ?? ErrorRecord?.Exception?.Message, json)
            {
                Permanent = Permanent,
                ErrorTypes = ExceptionTypeNames.Of(ErrorRecord?.Exception),
                ContextTokens = ContextTokens,
                ClaimToken = ClaimToken,
            };
            var store = CurrentStore;
            RecordOutcome? outcome = null;
            if (!TryRun(() => outcome = store.Record(BatchId, result, Cancellation), Feature)) return;
            ProgressOf(BatchId).Report(this, outcome!.Total - outcome.Remaining, outcome.Total, Feature);
            if (PassThru) WriteObject(new FeatureState(BatchId, store, outcome.Feature));
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
