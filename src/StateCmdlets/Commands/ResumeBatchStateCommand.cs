using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using StateCmdlets.Completion;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Emits the features still to do: pending ones, then (unless -IncludeFailed:$false) failed ones
    /// with attempts left whose retry backoff has passed, each after the features it depends on.
    /// Before each one it checks the batch again, so a feature another process finished meanwhile
    /// is not handed out twice, and nothing is once the circuit breaker opens.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Resume, "BatchState")]
    [OutputType(typeof(FeatureState))]
    public sealed class ResumeBatchStateCommand : BatchCmdletBase
    {
        private bool _includeFailed = true;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
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

        /// <summary>Close the circuit breaker of a suspended batch first.</summary>
        [Parameter]
        public SwitchParameter Reset { get; set; }

        /// <summary>When only features waiting for their retry backoff are left, wait for them instead of ending.</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            if (Reset && !TryRun(() => store.ResetBreaker(BatchId, Cancellation), BatchId)) return;
            var progress = new BatchProgress(BatchId, leads: true);
            // What each feature's attempt count was when it was handed out: it is handed out again
            // (with -Wait) only once a new result says it failed, never just because nothing was recorded.
            var handedOut = new Dictionary<string, int>(StringComparer.Ordinal);
            bool loaded = false;
            try
            {
                while (true)
                {
                    Batch? batch = null;
                    if (!TryRun(() => batch = store.Load(BatchId), BatchId)) return;
                    loaded = true;
                    if (batch!.IsSuspended)
                    {
                        WarnSuspended(batch.ConsecutiveFailures, batch.Settings.MaxConsecutiveFailures);
                        break;
                    }
                    var pass = HandOut(store, batch, progress, handedOut, out bool suspended, out DateTime? nextRetry);
                    if (suspended || !Wait) break;
                    // Failures recorded during the pass may be due again: look at the batch again at once.
                    if (pass > 0) continue;
                    if (nextRetry == null) break;
                    // Only backoffs are left: sleep until the first one passes (Ctrl+C stops the wait).
                    var delay = nextRetry.Value - DateTime.UtcNow;
                    WriteVerbose($"Waiting {Math.Max(0, delay.TotalSeconds):0.#} s for the next retry of batch '{BatchId}'.");
                    if (delay > TimeSpan.Zero && Cancellation.WaitHandle.WaitOne(delay)) throw new PipelineStoppedException();
                    if (delay <= TimeSpan.Zero) Thread.Sleep(10);
                }
            }
            finally
            {
                progress.Complete(this);
                // Also when the pipeline ends early (Select-Object -First, an error downstream): the
                // summary says where the batch stands and how to go on.
                if (loaded) WriteSummary(store);
            }
        }

        /// <summary>One pass over what is left; returns how many features it emitted.</summary>
        private int HandOut(IBatchStore store, Batch batch, BatchProgress progress, Dictionary<string, int> handedOut, out bool suspended, out DateTime? nextRetry)
        {
            suspended = false;
            nextRetry = null;
            int total = batch.Total;
            var order = batch.RemainingInOrder(_includeFailed);
            int emitted = 0;
            for (int i = 0; i < order.Count; i++)
            {
                var feature = order[i];
                if (handedOut.TryGetValue(feature.Name, out int attemptsThen) && feature.Attempts <= attemptsThen) continue;
                Readiness? readiness = null;
                if (!TryRun(() => readiness = store.ReadinessOf(batch.BatchId, feature.Name, _includeFailed, Cancellation), feature.Name)) continue;
                switch (readiness!.Kind)
                {
                    case ReadinessKind.Suspended:
                        var summary = store.Summary(batch.BatchId, Cancellation);
                        WarnSuspended(summary.ConsecutiveFailures, summary.MaxConsecutiveFailures);
                        suspended = true;
                        return emitted;
                    case ReadinessKind.Waiting:
                        if (readiness.Until.HasValue && (nextRetry == null || readiness.Until < nextRetry)) nextRetry = readiness.Until;
                        continue;
                    case ReadinessKind.Blocked:
                        WriteVerbose($"Skipped '{feature.Name}': {readiness.Reason}");
                        continue;
                    case ReadinessKind.Done:
                        continue;
                }
                progress.Report(this, total - (order.Count - i), total, feature.Name);
                handedOut[feature.Name] = feature.Attempts;
                emitted++;
                WriteObject(new FeatureState(batch.BatchId, store.Location, feature));
            }
            return emitted;
        }

        private void WarnSuspended(int failures, int limit) =>
            WriteWarning($"Batch '{BatchId}' is suspended after {failures} failures in a row (limit {limit}): nothing is handed out. Fix the cause, then run Resume-BatchState -BatchId {BatchId} -Reset.");

        /// <summary>One line to the information stream: where the batch stands, and how to go on.</summary>
        private void WriteSummary(IBatchStore store)
        {
            try
            {
                // Not through TryRun: while the pipeline is being stopped, an error record could not be written either.
                var s = store.Summary(BatchId, CancellationToken.None);
                string text = string.Format(CultureInfo.InvariantCulture, "Completed {0}/{1}, {2} failed, {3} skipped", s.Completed, s.Total, s.Failed, s.Skipped);
                if (s.Remaining > 0) text += $"; resume with: Resume-BatchState -BatchId {BatchId}" + (s.Status == BatchStatus.Suspended ? " -Reset" : string.Empty);
                WriteInformation(new InformationRecord(text, "Resume-BatchState"));
            }
            catch (Exception e) when (e is Core.StateException || e is PipelineStoppedException)
            {
                // Stopped with Ctrl+C, or the batch is gone: there is no summary to give.
            }
        }
    }
}
