using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using System.Threading;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.Invocation;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// A resumable, parallel batch in one line: the input's items become a batch found by its
    /// name (made on the first run, new items added on later ones), and the script block runs for
    /// each item not done yet, up to -ThrottleLimit at once, each claimed first so that overlapping
    /// runs split the work. Each item's outcome is recorded durably as it ends: no terminating
    /// error is Completed (its output stored and emitted), a terminating error Failed (retried
    /// in the same run once its backoff passes). Run the same line again after a crash, a reboot
    /// or Ctrl+C: it does what is left.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "Batch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = ByIdSet)]
    [OutputType(typeof(object), typeof(FeatureState))]
    public sealed class InvokeBatchCommand : BatchSettingsCmdletBase
    {
        private const string ByNameSet = "ByName";
        private const string ByIdSet = "ById";

        // The preference variables an item's scope gets from the caller, so a block behaves alike
        // in worker runspaces and in the caller's own ($ErrorActionPreference = 'Stop' fails items).
        private static readonly string[] Preferences = { "ErrorActionPreference", "WarningPreference", "VerbosePreference", "DebugPreference", "InformationPreference" };

        private readonly Dictionary<string, ItemJob> _inFlight = new Dictionary<string, ItemJob>(StringComparer.Ordinal);
        private readonly Dictionary<string, KeyValuePair<ItemRun, Feature>> _failedInThisRun = new Dictionary<string, KeyValuePair<ItemRun, Feature>>(StringComparer.Ordinal);
        private InputKeys _keys = new InputKeys(null);
        private UsingVariables? _using;
        private Hashtable _variables = new Hashtable(StringComparer.OrdinalIgnoreCase);
        private CurrentRunspaceRunner? _inCaller;
        private BatchProgress? _progress;
        private ResultGroup? _results;
        private ClaimFeed? _feed;
        private IReadOnlyList<ItemRun>? _unrecorded;
        private IItemRunner? _runner;
        private int _completed;
        private int _failed;
        private int _lost;
        private int _truncated;
        private int _maxAttempts;

        /// <summary>What to run for each item; $_ is the item's input object.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNull]
        public ScriptBlock ScriptBlock { get; set; } = ScriptBlock.Create(string.Empty);

        /// <summary>The items: strings, or objects whose key -Key (default: their Name) gives.</summary>
        [Parameter(ValueFromPipeline = true)]
        public object? InputObject { get; set; }

        /// <summary>The batch's name: the same name finds the same batch on every run.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByNameSet)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.BatchNameCompleter))]
        public string? Name { get; set; }

        /// <summary>The batch's id, instead of the one derived from -Name.</summary>
        [Parameter(ParameterSetName = ByNameSet)]
        [Parameter(Mandatory = true, ParameterSetName = ByIdSet)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.BatchIdCompleter))]
        public string? BatchId { get; set; }

        /// <summary>A property name or a script block of $_ giving each input object's key (its item name).</summary>
        [Parameter]
        [ValidateNotNull]
        public object? Key { get; set; }

        /// <summary>Items run at once (1: one at a time in the current runspace).</summary>
        [Parameter]
        [ValidateRange(1, 1000)]
        public int ThrottleLimit { get; set; } = 1;

        /// <summary>Seconds one item may run before it is stopped and recorded Failed (0: no limit).</summary>
        [Parameter]
        [ValidateRange(0.0, 31536000.0)]
        public double TimeoutSeconds { get; set; }

        /// <summary>Bytes of JSON an item's output may take when stored as its Data (0: store none).</summary>
        [Parameter]
        [ValidateRange(0, 1073741824)]
        public int MaxDataBytes { get; set; } = FeatureDataLimit.DefaultMaxBytes;

        /// <summary>Emit each item's FeatureState as recorded instead of the block's output.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>Do not wait for retry backoffs: items whose backoff has not passed are left for the next run.</summary>
        [Parameter]
        public SwitchParameter NoRetryWait { get; set; }

        private bool Given(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

        /// <summary>Piped objects (FeatureStates, say) may carry a Store of their own: the batch is where the command line says.</summary>
        private protected override bool StoreFromPipeline => false;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            try
            {
                _keys = new InputKeys(Key);
                _using = UsingVariables.Of(ScriptBlock);
                var values = new Dictionary<string, object?>();
                _using.AddValues(SessionState, values);
                foreach (var pair in values) _variables[pair.Key] = pair.Value;
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidKey", e.Message, Key));
            }
            catch (UsingVariableNotSetException e)
            {
                ThrowTerminatingError(new ErrorRecord(new PSArgumentException(e.Message, e), "UsingVariableNotSet", ErrorCategory.InvalidOperation, "$using:" + e.Name));
            }
            foreach (string preference in Preferences) _variables[preference] = SessionState.PSVariable.GetValue(preference);
            // -ErrorAction Stop makes every error in the blocks fail the item. Other values only say what
            // Invoke-Batch does with its own errors: SilentlyContinue in a block would silence even throw.
            if (ErrorActionStop) _variables["ErrorActionPreference"] = ActionPreference.Stop;
        }

        private bool ErrorActionStop => MyInvocation.BoundParameters.TryGetValue("ErrorAction", out object? action) && action is ActionPreference preference && preference == ActionPreference.Stop;

        protected override void ProcessRecord()
        {
            if (!Given(nameof(InputObject))) return;
            var error = _keys.Add(InputObject);
            if (error != null) WriteError(error);
        }

        protected override void EndProcessing()
        {
            foreach (string warning in _keys.Warnings()) WriteWarning(warning);
            var store = CurrentStore;
            NamedBatch? named = null;
            if (!TryRun(() => named = NamedBatch.Find(store, Name, BatchId), Name ?? BatchId)) return;
            if (named!.Existing == null && _keys.Names.Count == 0)
            {
                WriteWarning($"No input, and no batch '{named.BatchId}' in '{store.Location}' to resume: nothing to do.");
                return;
            }
            var preview = BatchRunPreview.Of(named.Existing, _keys.Names, SessionWorker, DateTime.UtcNow);
            string address = store.Address(named.BatchId);
            if (!ShouldProcess($"Running the script block for the items of batch '{named.BatchId}' ({address}): {preview}.", null, "Invoke-Batch")) return;

            bool existed = named.Existing != null;
            // Runspaces open while the batch is made and the first items claimed.
            var runner = NewRunner(TimeoutSeconds > 0);
            runner.Prepare(preview.Left);
            int added = 0;
            if (!TryRun(() => added = named.Open(store, Definition(named), Cancellation), named.BatchId))
            {
                runner.Dispose();
                return;
            }
            if (existed && added > 0) WriteVerbose($"Added {added} new item(s) to batch '{named.BatchId}'.");
            _maxAttempts = named.Existing!.Settings.MaxAttempts;
            Run(store, named.BatchId, runner);
        }

        protected override void StopProcessing()
        {
            base.StopProcessing();
            _inCaller?.StopFromAnyThread();
        }

        private BatchDefinition Definition(NamedBatch named)
        {
            if (named.Existing != null && SettingsGiven()) WriteVerbose($"Batch '{named.BatchId}' exists: its settings stay as they were made; -MaxAttempts and the like apply to a new batch.");
            return new BatchDefinition(named.Name, _keys.Names)
            {
                BatchId = named.BatchId,
                Settings = SettingsFromParameters(),
            };
        }

        /// <summary>
        /// Claims items and keeps the runner busy until nothing is left to run now: the pipeline
        /// thread claims, records (results that end together from helper threads too, sharing a
        /// flush) and does every write; the workers only run blocks. However the
        /// run ends (Ctrl+C, Select-Object -First, an error), what still runs is stopped, runs that
        /// ended are recorded, and the claims of the rest are released for the next run.
        /// </summary>
        private void Run(IBatchStore store, string batchId, IItemRunner runner)
        {
            var worker = SessionWorker;
            var clock = Stopwatch.StartNew();
            _runner = runner;
            _progress = new BatchProgress(batchId, leads: true);
            TimeSpan? lease = Given(nameof(LeaseSeconds)) ? TimeSpan.FromSeconds(LeaseSeconds) : (TimeSpan?)null;
            TimeSpan? timeout = TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : (TimeSpan?)null;
            bool suspended = false;
            bool ended = false;
            // This run records every result itself: it looks at the breaker after its own failures, not before every item.
            var feed = _feed = new ClaimFeed(store, batchId, worker, ClaimKeeper.Shared, DetachedStore(store)) { Lease = lease, IncludeFailed = true, Retry = true, CheckBreakerEachFeature = false, FirstClaimSize = runner.Capacity };
            // Results recorded from other threads too, with a store of their own (no cmdlet output in its tracing).
            _results = new ResultGroup(store, () => StoreForAnotherThread(store));
            feed.Blocked += (name, reason) => WriteVerbose($"Skipped '{name}': {reason}");
            try
            {
                ClaimWatch? watch = null;
                bool exhausted = false;
                DateTime? retryAt = null;
                // Claims items and starts them on free workers; `ending` of those in flight have ended, not recorded yet (their workers are free).
                void HandOut(int ending)
                {
                    while (!exhausted && _inFlight.Count - ending < runner.Capacity)
                    {
                        var next = Core(() => feed.Next(Cancellation), batchId);
                        var grant = feed.LastGrant!;
                        if (next == null)
                        {
                            exhausted = true;
                            suspended = feed.Suspended;
                            retryAt = suspended || NoRetryWait ? null : grant.NextRetry;
                            break;
                        }
                        watch ??= new ClaimWatch(grant.Lease, DateTime.UtcNow);
                        var job = new ItemJob(next, _keys.InputFor(next.Name));
                        _inFlight[next.Name] = job;
                        // Ctrl+C may have come between items (a claimed item is handed out without a store call): start none then.
                        Cancellation.ThrowIfCancellationRequested();
                        _progress.Report(this, grant.Total - grant.Remaining, grant.Total, next.Name);
                        runner.Start(job);
                    }
                }
                while (true)
                {
                    HandOut(0);
                    if (_inFlight.Count == 0)
                    {
                        if (retryAt == null) break;
                        // Only backoffs are left: sleep until the first one passes (Ctrl+C stops the wait).
                        var delay = retryAt.Value - DateTime.UtcNow;
                        WriteVerbose($"Waiting {Math.Max(0, delay.TotalSeconds):0.#} s for the next retry of batch '{batchId}'.");
                        if (delay > TimeSpan.Zero && Cancellation.WaitHandle.WaitOne(delay)) throw new PipelineStoppedException();
                        if (delay <= TimeSpan.Zero) Thread.Sleep(10);
                        exhausted = false;
                        retryAt = null;
                        continue;
                    }
                    if (runner.TryTake(Until(NextWake(timeout, watch, exhausted ? retryAt : null, runner.CanStopOne)), Cancellation, out var run))
                    {
                        // With every run that ended meanwhile: recorded together, they share one flush.
                        var together = new List<ItemRun> { run! };
                        while (runner.TryTake(TimeSpan.Zero, Cancellation, out var more)) together.Add(more!);
                        // Their workers are free: the next items start before these are recorded (a flush), so
                        // no worker waits for it. Not after a failure (recording it may open the breaker), nor when
                        // the runner runs items right here (one item's output and record before the next runs).
                        if (runner.RunsAside && together.All(r => r.End == ItemEnd.Completed))
                        {
                            _unrecorded = together;
                            HandOut(together.Count);
                        }
                        _unrecorded = null;
                        Finish(store, batchId, together);
                        exhausted = false; // a failure may be retried, a dependency may be done, another worker may have let go
                    }
                    if (timeout != null) StopOverdue(store, batchId, runner, timeout.Value);
                    if (watch != null && runner.CanStopOne && watch.IsDue(DateTime.UtcNow)) StopLost(store, batchId, runner, watch);
                    if (exhausted && retryAt != null && retryAt <= DateTime.UtcNow) exhausted = false;
                    // What ended is recorded (a failure that opened the breaker took back what waited): the workers go on.
                    runner.Resume();
                }
                ended = true;
            }
            catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            finally
            {
                Wind(store, batchId, worker, runner);
                feed.Dispose();
                runner.Dispose();
                CompleteProgress();
            }
            if (ended) Report(store, batchId, clock.Elapsed, suspended);
        }

        /// <summary>
        /// The only store Invoke-Batch makes itself (the run's own comes from the store locator, the
        /// heartbeat's from DetachedStore): another store on the same batch, for recording results
        /// from a thread of its own (no tracing: only the pipeline's thread may write output).
        /// </summary>
        private IBatchStore StoreForAnotherThread(IBatchStore store) =>
            store is Core.Batches.FileStore.FileBatchStore
                ? new Core.Batches.FileStore.FileBatchStore(store.Location, new Core.Batches.FileStore.FileStoreOptions { LockTimeout = EffectiveLockTimeout })
                : PostgreSqlStores.Detached(store);

        private IItemRunner NewRunner(bool needsStop)
        {
            if (ThrottleLimit == 1 && !needsStop)
            {
                // The caller's own block keeps its module scope; a rewritten one runs in the caller's session state.
                var block = _using!.Any ? ScriptBlock.Create(_using.Text) : ScriptBlock;
                // The caller's scope has its preferences; only $using: values and -ErrorAction Stop need a scope of the item's own.
                bool scoped = _using.Any || ErrorActionStop;
                return _inCaller = new CurrentRunspaceRunner(block, scoped ? _variables : null);
            }
            return new WorkerRunspaces(ThrottleLimit, ModuleManifest(), SessionState.Path.CurrentFileSystemLocation.ProviderPath, _using!.Text, _variables);
        }

        /// <summary>The manifest the caller loaded this module from, for the workers to import (its cmdlets work in their blocks).</summary>
        private string? ModuleManifest()
        {
            var module = MyInvocation.MyCommand.Module;
            if (module == null) return null;
            string manifest = System.IO.Path.Combine(module.ModuleBase, module.Name + ".psd1");
            return System.IO.File.Exists(manifest) ? manifest : module.Path;
        }

        /// <summary>The earliest of: an item's timeout, the next look for lost claims, the next retry; at most a second away.</summary>
        private DateTime NextWake(TimeSpan? timeout, ClaimWatch? watch, DateTime? retryAt, bool canStopOne)
        {
            DateTime wake = DateTime.UtcNow.AddSeconds(1);
            if (timeout != null)
                foreach (var job in _inFlight.Values)
                    if (job.Deadline(timeout.Value) is DateTime deadline && deadline < wake) wake = deadline;
            if (watch != null && canStopOne && watch.NextCheck < wake) wake = watch.NextCheck;
            if (retryAt != null && retryAt < wake) wake = retryAt.Value;
            return wake;
        }

        private static TimeSpan Until(DateTime wake)
        {
            var wait = wake - DateTime.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        private void StopOverdue(IBatchStore store, string batchId, IItemRunner runner, TimeSpan timeout)
        {
            DateTime now = DateTime.UtcNow;
            foreach (var job in _inFlight.Values.Where(j => j.Deadline(timeout) <= now).ToList())
            {
                var run = runner.Stop(job, ItemEnd.TimedOut);
                if (run != null) Finish(store, batchId, new[] { run });
            }
        }

        /// <summary>Every third of the lease: items whose claim another worker now holds (or someone finished) are stopped.</summary>
        private void StopLost(IBatchStore store, string batchId, IItemRunner runner, ClaimWatch watch)
        {
            Batch batch;
            try
            {
                batch = store.Load(batchId);
            }
            catch (StateException e)
            {
                // Not this time (a result of ours will say ClaimLost if it comes to that); the next look may read it.
                WriteVerbose($"Could not look at batch '{batchId}' for lost claims: {e.Message}");
                return;
            }
            var inFlight = _inFlight.Values.Select(j => new KeyValuePair<string, long>(j.Name, j.Token)).ToList();
            foreach (string name in watch.Lost(batch, inFlight, DateTime.UtcNow))
            {
                var run = runner.Stop(_inFlight[name], ItemEnd.ClaimLost);
                if (run != null) Finish(store, batchId, new[] { run });
            }
        }

        /// <summary>
        /// Records the outcomes of runs that ended together, at once (they share the store's flush),
        /// then for each writes what its block wrote and emits its output (or its FeatureState).
        /// </summary>
        private void Finish(IBatchStore store, string batchId, IReadOnlyList<ItemRun> runs)
        {
            var ended = new List<ItemRun>();
            var results = new List<FeatureResult>();
            bool stopping = false;
            foreach (var run in runs)
            {
                // Only the pipeline stopping (Ctrl+C) stops a block this run did not stop: the run ends
                // at once (StopProcessing may come a moment later), that item released with the rest.
                if (run.End == ItemEnd.Stopped && run.Fault == null) stopping = true;
                else if (!Settled(batchId, run))
                {
                    ended.Add(run);
                    results.Add(ResultOf(run, stopping ? (Action<string>)(_ => { }) : WriteWarning));
                }
            }
            if (ended.Count == 0 && !stopping) return;
            // What ended is recorded even so: the next run need not do it again.
            var recorded = _results!.Record(batchId, results, stopping ? CancellationToken.None : Cancellation);
            if (stopping)
            {
                foreach (var run in ended.Where((r, i) => recorded[i].Outcome != null)) _inFlight.Remove(run.Job.Name);
                throw new PipelineStoppedException();
            }
            for (int i = 0; i < ended.Count; i++)
            {
                var name = ended[i].Job.Name;
                _inFlight.Remove(name);
                var outcome = recorded[i].Outcome;
                if (outcome != null)
                {
                    Emit(store, batchId, ended[i], outcome);
                    continue;
                }
                // Not recorded (the claim was lost, the lock timed out): whatever this run still holds of it goes back.
                if (recorded[i].Error != null) WriteError(ToErrorRecord(recorded[i].Error!, name));
                Release(store, batchId, SessionWorker, new[] { name });
            }
        }

        /// <summary>A run with nothing to record: a broken worker (the run stops), a lost claim.</summary>
        private bool Settled(string batchId, ItemRun run)
        {
            var job = run.Job;
            if (run.Fault != null)
                ThrowTerminatingError(new ErrorRecord(run.Fault, "WorkerFailed", ErrorCategory.ResourceUnavailable, job.Name)
                {
                    ErrorDetails = new ErrorDetails($"A worker runspace of Invoke-Batch failed, so the run stopped: {run.Fault.Message}"),
                });
            if (run.End == ItemEnd.ClaimLost)
            {
                _inFlight.Remove(job.Name);
                _lost++;
                WriteError(new ErrorRecord(new InvalidOperationException($"The claim on '{job.Name}' of batch '{batchId}' was lost (its lease ran out and another worker took it, or it was finished): its block was stopped and nothing was recorded."),
                    StateErrorIds.ClaimLost, ErrorCategory.InvalidOperation, job.Name));
                return true;
            }
            return false;
        }

        /// <summary>After its outcome is recorded: the counts, the bar, then what the block wrote, in order, and its output (or the FeatureState).</summary>
        private void Emit(IBatchStore store, string batchId, ItemRun run, RecordOutcome outcome)
        {
            var job = run.Job;
            if (outcome.Feature.Status == FeatureStatus.Completed)
            {
                _completed++;
                _failedInThisRun.Remove(job.Name);
            }
            else
            {
                _failed++;
                _failedInThisRun[job.Name] = new KeyValuePair<ItemRun, Feature>(run, outcome.Feature);
                // A failure may have opened the breaker: then nothing more is handed out, and what waits for a worker goes back.
                if (outcome.Suspended)
                {
                    _feed!.Suspend();
                    var waiting = _runner!.TakeBackWaiting();
                    foreach (var back in waiting) _inFlight.Remove(back.Name);
                    if (waiting.Count > 0) Release(store, batchId, SessionWorker, waiting.Select(j => j.Name).ToList());
                }
            }
            _progress!.Report(this, outcome.Total - outcome.Remaining, outcome.Total, job.Name);
            foreach (var error in run.Errors) WriteError(error);
            foreach (var item in run.Output)
            {
                switch (item.BaseObject)
                {
                    case WarningRecord warning:
                        WriteWarning(warning.Message);
                        break;
                    case VerboseRecord verbose:
                        WriteVerbose(verbose.Message);
                        break;
                    case DebugRecord debug:
                        WriteDebug(debug.Message);
                        break;
                    case InformationRecord information:
                        WriteInformation(information);
                        break;
                    default:
                        if (!PassThru) WriteObject(item);
                        break;
                }
            }
            if (PassThru) WriteObject(new FeatureState(batchId, store, outcome.Feature));
        }

        private FeatureResult ResultOf(ItemRun run, Action<string> warn)
        {
            var job = run.Job;
            switch (run.End)
            {
                case ItemEnd.Completed:
                    return new FeatureResult(job.Name, FeatureStatus.Completed, null, DataOf(job.Name, run.Output, warn)) { ClaimToken = job.Token };
                case ItemEnd.TimedOut:
                    return new FeatureResult(job.Name, FeatureStatus.Failed, TimedOutMessage())
                    {
                        ClaimToken = job.Token,
                        ErrorTypes = ExceptionTypeNames.Of(new TimeoutException()),
                    };
                default:
                    var failure = run.Failure!;
                    return new FeatureResult(job.Name, FeatureStatus.Failed, MessageOf(failure))
                    {
                        ClaimToken = job.Token,
                        ErrorTypes = ExceptionTypeNames.Of(failure.Exception),
                    };
            }
        }

        private string TimedOutMessage() => string.Format(CultureInfo.InvariantCulture, "Timed out: still running after {0} s (-TimeoutSeconds), so it was stopped.", TimeoutSeconds);

        /// <summary>The error as the user would see it, where the block says it happened.</summary>
        private static string MessageOf(ErrorRecord failure)
        {
            string message = (failure.ErrorDetails?.Message ?? failure.Exception?.Message ?? failure.ToString()).TrimEnd();
            var where = failure.InvocationInfo;
            if (where != null && where.ScriptLineNumber > 0 && string.IsNullOrEmpty(where.ScriptName))
                message = message.TrimEnd('.') + string.Format(CultureInfo.InvariantCulture, " (at line {0} of the script block)", where.ScriptLineNumber);
            return message;
        }

        /// <summary>The block's output (not the stream records among it) as the item's Data: one object, or an array; none when it output nothing.</summary>
        private JsonElement? DataOf(string name, IReadOnlyList<PSObject> output, Action<string> warn)
        {
            if (MaxDataBytes == 0) return null;
            var objects = output.Where(o => !(o.BaseObject is WarningRecord || o.BaseObject is VerboseRecord || o.BaseObject is DebugRecord || o.BaseObject is InformationRecord)).ToList();
            if (objects.Count == 0) return null;
            JsonElement json;
            try
            {
                json = PowerShellJson.ToJson(objects.Count == 1 ? (object)objects[0] : objects.ToArray(), warn, allowCaseTwins: true);
            }
            catch (JsonConversionException e)
            {
                warn($"The output of '{name}' cannot be stored as its Data: {e.Message} The item is recorded without it.");
                return null;
            }
            var fitted = FeatureDataLimit.Fit(json, Math.Max(2, MaxDataBytes), out bool truncated);
            if (truncated && _truncated++ == 0)
                warn($"The output of '{name}' is more than {MaxDataBytes} bytes of JSON (-MaxDataBytes): its Data is the start of that JSON text, as a string. The summary counts further items cut this way.");
            return fitted;
        }

        /// <summary>However the run ends: stop the blocks still running, record those that ended, release the rest.</summary>
        private void Wind(IBatchStore store, string batchId, WorkerIdentity worker, IItemRunner runner)
        {
            // Runs taken from the runner but not recorded yet (the run stopped while it handed out the next items) too.
            var ended = runner.StopAll(TimeSpan.FromSeconds(2)).Concat(_unrecorded ?? new ItemRun[0]).ToList();
            _unrecorded = null;
            foreach (var run in ended)
            {
                if (run.End != ItemEnd.Completed && run.End != ItemEnd.Failed) continue;
                // It ran to its end: recording it spares the next run doing it again.
                try
                {
                    store.Record(batchId, ResultOf(run, _ => { }), CancellationToken.None);
                    _inFlight.Remove(run.Job.Name);
                }
                catch (StateException)
                {
                    // Left to be released below.
                }
            }
            if (_inFlight.Count > 0) Release(store, batchId, worker, _inFlight.Keys.ToList());
            _inFlight.Clear();
        }

        private static void Release(IBatchStore store, string batchId, WorkerIdentity worker, IReadOnlyCollection<string> names)
        {
            try
            {
                store.Release(batchId, worker, names, CancellationToken.None);
            }
            catch (StateException)
            {
                // They run out with their lease instead.
            }
        }

        private void CompleteProgress()
        {
            try
            {
                _progress?.Complete(this);
            }
            catch (PipelineStoppedException)
            {
                // Stopping: the host removes the bar.
            }
        }

        /// <summary>The summary on the information stream, a warning for a suspended batch, then one error per item this run left failed.</summary>
        private void Report(IBatchStore store, string batchId, TimeSpan elapsed, bool suspended)
        {
            BatchSummary? s = null;
            TryRun(() => s = store.Summary(batchId, Cancellation), batchId);
            if (s != null)
            {
                string text = string.Format(CultureInfo.InvariantCulture,
                    "Batch '{0}': {1} done, {2} failed, {3} skipped, {4} left of {5}; this run completed {6} and failed {7} in {8:0.0} s",
                    batchId, s.Completed, s.Failed, s.Skipped, s.Remaining, s.Total, _completed, _failed, elapsed.TotalSeconds);
                if (_lost > 0) text += string.Format(CultureInfo.InvariantCulture, ", {0} lost to other workers", _lost);
                if (_truncated > 0) text += string.Format(CultureInfo.InvariantCulture, ", {0} output(s) stored cut to -MaxDataBytes", _truncated);
                WriteInformation(new InformationRecord(text + ".", "Invoke-Batch"));
                if (suspended || s.Status == BatchStatus.Suspended)
                    WriteWarning($"Batch '{batchId}' is suspended after {s.ConsecutiveFailures} failures in a row (limit {s.MaxConsecutiveFailures}): nothing more was run. Fix the cause, close the breaker with Resume-BatchState -BatchId {batchId} -Reset -NoClaim | Out-Null, and run again.");
            }
            foreach (var pair in _failedInThisRun)
            {
                var run = pair.Value.Key;
                var feature = pair.Value.Value;
                bool timedOut = run.End == ItemEnd.TimedOut;
                var exception = timedOut ? new TimeoutException(TimedOutMessage()) : run.Failure!.Exception;
                var record = new ErrorRecord(exception, timedOut ? "TimedOut" : "FeatureFailed", timedOut ? ErrorCategory.OperationTimeout : run.Failure!.CategoryInfo.Category, pair.Key)
                {
                    ErrorDetails = new ErrorDetails($"Item '{pair.Key}' of batch '{batchId}' failed: {(timedOut ? TimedOutMessage() : MessageOf(run.Failure!))}")
                    {
                        RecommendedAction = feature.IsRetryable(_maxAttempts)
                            ? "It is retried by the next run of the same command (Get-BatchState shows its LastError and Attempts)."
                            : "It has had its attempts: fix the cause, then record it with Set-FeatureResult, or make a batch of what failed.",
                    },
                };
                WriteError(record);
            }
        }

        /// <summary>A core call the run cannot go on without: its failure ends the run (what runs is stopped and released first).</summary>
        private T Core<T>(Func<T> call, object target)
        {
            try
            {
                return call();
            }
            catch (StateException e)
            {
                ThrowTerminatingError(ToErrorRecord(e, target));
                throw; // not reached
            }
        }
    }
}
