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
    /// Hands out the features still to do: pending ones, then (unless -IncludeFailed:$false) failed
    /// ones with attempts left whose retry backoff has passed, each after the features it depends on.
    /// Each feature is claimed for this session first, so several workers on one batch (overlapping
    /// scheduled tasks, several processes) split the work: no feature goes to two workers while its
    /// lease holds. A heartbeat renews the claims while the process lives; the next run in the same
    /// session gets back what it was handed but never recorded; a process that exits lets its claims go.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Resume, "BatchState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
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

        /// <summary>List what is left without claiming it (for reports): other workers may be doing those very features.</summary>
        [Parameter]
        public SwitchParameter NoClaim { get; set; }

        /// <summary>How long a claim holds without a heartbeat; default: the batch's lease (60 s unless New-BatchState said otherwise).</summary>
        [Parameter]
        [ValidateRange(1.0, 86400.0)]
        public double LeaseSeconds { get; set; }

        private TimeSpan? Lease => MyInvocation.BoundParameters.ContainsKey(nameof(LeaseSeconds)) ? TimeSpan.FromSeconds(LeaseSeconds) : (TimeSpan?)null;

        protected override void ProcessRecord()
        {
            var store = CurrentStore;
            string address = BatchId;
            if (!TryRun(() => address = store.Address(BatchId), BatchId)) return;
            if (!ShouldProcess($"Claiming and handing out the features left in batch '{BatchId}' ({address}).", null, "Resume-BatchState", out ShouldProcessReason reason))
            {
                if (reason == ShouldProcessReason.WhatIf) Preview(store);
                return;
            }
            if (Reset && !TryRun(() => store.ResetBreaker(BatchId, Cancellation), BatchId)) return;
            if (NoClaim) List(store);
            else HandOut(store);
        }

        /// <summary>Claims features a few at a time and emits them; unemitted claims go back when the pipeline ends early.</summary>
        private void HandOut(IBatchStore store)
        {
            var progress = new BatchProgress(BatchId, leads: true);
            bool claimed = false;
            using (var feed = new ClaimFeed(store, BatchId, SessionWorker, ClaimKeeper.Shared, DetachedStore(store)) { Lease = Lease, IncludeFailed = _includeFailed, Retry = Wait })
            {
                feed.Blocked += (name, reason) => WriteVerbose($"Skipped '{name}': {reason}");
                try
                {
                    while (true)
                    {
                        Feature? next = null;
                        if (!TryRun(() => next = feed.Next(Cancellation), BatchId)) return;
                        claimed = true;
                        if (next == null)
                        {
                            var grant = feed.LastGrant!;
                            if (feed.Suspended)
                            {
                                var summary = store.Summary(BatchId, Cancellation);
                                WarnSuspended(summary.ConsecutiveFailures, summary.MaxConsecutiveFailures);
                                break;
                            }
                            if (!Wait || grant.NextRetry == null) break;
                            // Only backoffs are left: sleep until the first one passes (Ctrl+C stops the wait).
                            var delay = grant.NextRetry.Value - DateTime.UtcNow;
                            WriteVerbose($"Waiting {Math.Max(0, delay.TotalSeconds):0.#} s for the next retry of batch '{BatchId}'.");
                            if (delay > TimeSpan.Zero && Cancellation.WaitHandle.WaitOne(delay)) throw new PipelineStoppedException();
                            if (delay <= TimeSpan.Zero) Thread.Sleep(10);
                            continue;
                        }
                        var counts = feed.LastGrant!;
                        progress.Report(this, counts.Total - counts.Remaining, counts.Total, next.Name);
                        WriteObject(new FeatureState(BatchId, store, next, next.ClaimToken));
                    }
                }
                finally
                {
                    progress.Complete(this);
                    // Also when the pipeline ends early: the summary says where the batch stands and how to go on.
                    if (claimed) WriteSummary(store);
                }
            }
        }

        /// <summary>-NoClaim: what is left, as before claims existed; other workers may hold any of it.</summary>
        private void List(IBatchStore store)
        {
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
                    var pass = ListPass(store, batch, progress, handedOut, out bool suspended, out DateTime? nextRetry);
                    if (suspended || !Wait) break;
                    if (pass > 0) continue;
                    if (nextRetry == null) break;
                    var delay = nextRetry.Value - DateTime.UtcNow;
                    WriteVerbose($"Waiting {Math.Max(0, delay.TotalSeconds):0.#} s for the next retry of batch '{BatchId}'.");
                    if (delay > TimeSpan.Zero && Cancellation.WaitHandle.WaitOne(delay)) throw new PipelineStoppedException();
                    if (delay <= TimeSpan.Zero) Thread.Sleep(10);
                }
            }
            finally
            {
                progress.Complete(this);
                if (loaded) WriteSummary(store);
            }
        }

        /// <summary>One pass over what is left; returns how many features it emitted.</summary>
        private int ListPass(IBatchStore store, Batch batch, BatchProgress progress, Dictionary<string, int> handedOut, out bool suspended, out DateTime? nextRetry)
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
                WriteObject(new FeatureState(batch.BatchId, store, feature));
            }
            return emitted;
        }

        /// <summary>-WhatIf: which features a run would hand out now, and which other workers hold, by whom and until when.</summary>
        private void Preview(IBatchStore store)
        {
            Batch? batch = null;
            if (!TryRun(() => batch = store.Load(BatchId), BatchId)) return;
            DateTime now = DateTime.UtcNow;
            var worker = SessionWorker;
            if (batch!.IsSuspended && !Reset)
            {
                WarnSuspended(batch.ConsecutiveFailures, batch.Settings.MaxConsecutiveFailures);
                return;
            }
            foreach (var feature in batch.RemainingInOrder(_includeFailed))
            {
                // As Resume-BatchState sees it: a claim of a process known dead (of this machine) is free.
                if (feature.IsClaimedAt(now) && !worker.Equals(feature.ClaimedBy) && WorkerLiveness.MayBeAlive(feature.ClaimedBy!))
                {
                    ShouldProcess($"'{feature.Name}' is held by {feature.ClaimedBy} until {Utc(feature.LeaseExpiresAt!.Value)}: Resume-BatchState would leave it.", null, "Resume-BatchState");
                    continue;
                }
                var readiness = batch.ReadinessOf(feature, _includeFailed, now);
                string? what = readiness.Kind switch
                {
                    ReadinessKind.Ready => $"Resume-BatchState would hand out '{feature.Name}'" + (feature.IsClaimedAt(now) && worker.Equals(feature.ClaimedBy) ? " (claimed by this session before, never recorded)." : "."),
                    ReadinessKind.Waiting when readiness.Until.HasValue => $"'{feature.Name}' waits for its retry backoff until {Utc(readiness.Until.Value)}.",
                    ReadinessKind.Waiting => $"'{feature.Name}' waits for a feature it depends on.",
                    ReadinessKind.Blocked => $"'{feature.Name}' would be skipped: {readiness.Reason}",
                    _ => null,
                };
                if (what != null) ShouldProcess(what, null, "Resume-BatchState");
            }
        }

        private static string Utc(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

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
