using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// Up to <see cref="Capacity"/> long-lived workers, each a runspace of its own with the module
    /// imported, made as items need them (three items make three, whatever the throttle limit) and
    /// reused for item after item, as ForEach-Object -Parallel reuses its runspaces. Items wait in
    /// one queue the workers share: whichever worker is free (and open) first takes the next, so an
    /// item never waits for one particular runspace to open. A few runspaces open at a time, so the
    /// first ones run items while the rest still open. A worker whose item is stopped (timeout,
    /// lost claim) is closed and replaced, so no half-stopped state is reused. It takes twice as many
    /// items as it has workers: a worker that ends an item starts the next one waiting at once,
    /// without waiting for the pipeline thread to take its run and hand it another.
    /// </summary>
    internal sealed class WorkerRunspaces : IItemRunner
    {
        private readonly List<RunspaceWorker> _workers = new List<RunspaceWorker>();
        private readonly List<RunspaceWorker> _stopped = new List<RunspaceWorker>();
        private readonly HashSet<ItemJob> _pending = new HashSet<ItemJob>();
        private readonly BlockingCollection<ItemJob> _jobs = new BlockingCollection<ItemJob>();
        private readonly BlockingCollection<ItemRun> _ended = new BlockingCollection<ItemRun>();
        private readonly SemaphoreSlim _opening = new SemaphoreSlim(Math.Max(1, Environment.ProcessorCount));
        private readonly ManualResetEventSlim _go = new ManualResetEventSlim(true);
        private readonly InitialSessionState _sessionState;
        private readonly string? _location;
        private readonly string _blockText;
        private readonly IDictionary _variables;
        private readonly int _threads;
        private int _made;

        /// <param name="modulePath">The module the workers import (the manifest the caller loaded), so its cmdlets work in the block.</param>
        /// <param name="location">The caller's file-system location, each worker's current location.</param>
        /// <param name="blockText">The block's text, $using: rewritten; each worker makes its own block of it.</param>
        /// <param name="threads">Items run at once (-ThrottleLimit): the most workers it has.</param>
        internal WorkerRunspaces(int threads, string? modulePath, string? location, string blockText, IDictionary variables)
        {
            _threads = threads;
            Capacity = 2 * threads;
            _sessionState = InitialSessionState.CreateDefault2();
            if (modulePath != null) _sessionState.ImportPSModule(new[] { modulePath });
            _location = location;
            _blockText = blockText;
            _variables = variables;
        }

        public int Capacity { get; }

        public bool CanStopOne => true;

        public bool RunsAside => true;

        public void Prepare(int items)
        {
            while (_workers.Count < Math.Min(items, _threads)) NewWorker();
        }

        public void Start(ItemJob job)
        {
            if (_pending.Count >= Capacity) throw new InvalidOperationException("Every worker is busy.");
            _pending.Add(job);
            _jobs.Add(job);
            // A worker per item in flight, up to the limit (one stopped is replaced here).
            while (_workers.Count < Math.Min(_pending.Count, _threads)) NewWorker();
        }

        private RunspaceWorker NewWorker()
        {
            var worker = new RunspaceWorker(++_made, _sessionState, _location, ScriptBlock.Create(_blockText), _variables, _jobs, _ended, _opening, _go);
            _workers.Add(worker);
            return worker;
        }

        public bool TryTake(TimeSpan wait, CancellationToken cancellationToken, out ItemRun? run)
        {
            if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
            // BlockingCollection waits at most int.MaxValue milliseconds.
            if (wait.TotalMilliseconds > int.MaxValue) wait = TimeSpan.FromMilliseconds(int.MaxValue);
            if (!_ended.TryTake(out run, (int)wait.TotalMilliseconds, cancellationToken)) return false;
            _pending.Remove(run!.Job);
            return true;
        }

        /// <summary>
        /// Under the item's lock, which its worker takes to start it and to say it ended: either the
        /// worker that runs it is found (and stopped), or no worker will start it.
        /// </summary>
        public ItemRun? Stop(ItemJob job, ItemEnd why)
        {
            RunspaceWorker? worker;
            lock (job)
            {
                worker = _workers.FirstOrDefault(w => ReferenceEquals(w.Current, job));
                if (!job.TryEnd()) return null;
            }
            _pending.Remove(job);
            // Held until it is recorded, as after a failure.
            _go.Reset();
            if (worker != null) Retire(worker);
            return new ItemRun(job, why);
        }

        public void Resume() => _go.Set();

        public IReadOnlyList<ItemJob> TakeBackWaiting()
        {
            var waiting = new List<ItemJob>();
            foreach (var job in _pending.ToList())
            {
                lock (job)
                {
                    // Started (or ended) already: it runs to its end.
                    if (_workers.Any(w => ReferenceEquals(w.Current, job)) || !job.TryEnd()) continue;
                }
                _pending.Remove(job);
                waiting.Add(job);
            }
            return waiting;
        }

        public IReadOnlyList<ItemRun> StopAll(TimeSpan wait)
        {
            // Items still waiting in the queue are never started; those running are stopped.
            foreach (var job in _pending.ToList())
            {
                RunspaceWorker? worker;
                lock (job)
                {
                    worker = _workers.FirstOrDefault(w => ReferenceEquals(w.Current, job));
                    if (!job.TryEnd()) continue;
                }
                if (worker != null) Retire(worker);
            }
            foreach (var worker in _workers) worker.Finish();
            // Stopped blocks end in milliseconds unless they sit in a call PowerShell cannot interrupt.
            var exits = _stopped.Select(w => w.Exited).ToArray();
            var deadline = DateTime.UtcNow + wait;
            foreach (var exited in exits)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !exited.WaitOne(left)) break;
            }
            var runs = new List<ItemRun>();
            while (_ended.TryTake(out var run)) runs.Add(run);
            _pending.Clear();
            return runs;
        }

        private void Retire(RunspaceWorker worker)
        {
            worker.Stop();
            _workers.Remove(worker);
            _stopped.Add(worker);
        }

        public void Dispose()
        {
            foreach (var worker in _workers) worker.Finish();
            _workers.Clear();
            _jobs.CompleteAdding();
        }
    }
}
