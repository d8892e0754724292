using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// One long-lived worker: a thread of its own with a runspace of its own (the module imported,
    /// the caller's location) and one PowerShell reused for every item, so an item costs a fraction
    /// of a millisecond, not a new pipeline and runspace. It takes the next item from the queue
    /// its runner shares among its workers (whichever worker is free and open first runs it) and
    /// hands each run to the shared queue of ended runs.
    /// </summary>
    internal sealed class RunspaceWorker
    {
        private readonly BlockingCollection<ItemJob> _jobs;
        private readonly BlockingCollection<ItemRun> _ended;
        private readonly SemaphoreSlim _opening;
        private readonly ManualResetEventSlim _go;
        private readonly InitialSessionState _sessionState;
        private readonly string? _location;
        private readonly ScriptBlock _block;
        private readonly IDictionary _variables;
        private readonly Thread _thread;
        private readonly object _gate = new object();
        private readonly CancellationTokenSource _quit = new CancellationTokenSource();
        private readonly ManualResetEvent _exited = new ManualResetEvent(false);
        private PowerShell? _powerShell;
        private ItemJob? _current;
        private bool _stopping;

        /// <param name="block">This worker's own copy of the block (made from its text; unbound, so it runs in this worker's runspace).</param>
        /// <param name="jobs">The items to run, shared by the runner's workers.</param>
        /// <param name="opening">Limits how many workers open their runspace at once, so the first ones open (and run items) soon.</param>
        /// <param name="go">Reset by a worker whose item failed, set by the run once it recorded that: no item starts in between.</param>
        internal RunspaceWorker(int number, InitialSessionState sessionState, string? location, ScriptBlock block, IDictionary variables, BlockingCollection<ItemJob> jobs, BlockingCollection<ItemRun> ended, SemaphoreSlim opening, ManualResetEventSlim go)
        {
            _sessionState = sessionState;
            _location = location;
            _block = block;
            _variables = variables;
            _jobs = jobs;
            _ended = ended;
            _opening = opening;
            _go = go;
            _thread = new Thread(Loop) { IsBackground = true, Name = "StateCmdlets Invoke-Batch worker " + number };
            _thread.Start();
        }

        /// <summary>The item it runs now (set and cleared by its thread, under the item's lock: see <see cref="WorkerRunspaces.Stop"/>).</summary>
        internal ItemJob? Current => Volatile.Read(ref _current);

        /// <summary>Signalled once its thread has ended (its runspace closed).</summary>
        internal WaitHandle Exited => _exited;

        /// <summary>Stops the item it runs (if any) and ends the worker: its runspace is closed, never reused.</summary>
        internal void Stop()
        {
            PowerShell? running;
            lock (_gate)
            {
                _stopping = true;
                running = _powerShell;
            }
            Finish();
            try { running?.BeginStop(null, null); }
            catch (ObjectDisposedException) { }
            catch (InvalidOperationException) { }
        }

        /// <summary>Ends the worker once the item it runs (if any) has ended: it takes no more.</summary>
        internal void Finish()
        {
            try { _quit.Cancel(); }
            catch (ObjectDisposedException) { }
        }

        private void Loop()
        {
            Runspace? runspace = null;
            PowerShell? powerShell = null;
            ItemJob? job = null;
            try
            {
                try
                {
                    _opening.Wait(_quit.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                try
                {
                    runspace = RunspaceFactory.CreateRunspace(_sessionState);
                    // Items run on this thread: no hand-over to a pipeline thread per item.
                    runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
                    runspace.Open();
                    powerShell = PowerShell.Create();
                    powerShell.Runspace = runspace;
                    // The $using: values and the caller's preferences, once: every item's block sees them.
                    foreach (DictionaryEntry variable in _variables) runspace.SessionStateProxy.SetVariable((string)variable.Key, variable.Value);
                    if (_location != null)
                    {
                        powerShell.AddCommand("Set-Location").AddParameter("LiteralPath", _location);
                        powerShell.Invoke();
                        powerShell.Streams.ClearStreams();
                    }
                }
                finally
                {
                    _opening.Release();
                }
                lock (_gate)
                {
                    if (_stopping) return;
                    _powerShell = powerShell;
                }
                while ((job = Take()) != null)
                {
                    var run = ItemScript.Run(powerShell, job, _block, null);
                    lock (job) Volatile.Write(ref _current, null);
                    if (job.TryEnd())
                    {
                        // Its failure may open the breaker: the other workers start nothing new until the run recorded it.
                        if (run.End != ItemEnd.Completed) _go.Reset();
                        _ended.Add(run);
                    }
                    job = null;
                }
            }
            catch (Exception e)
            {
                // Never out of this thread (that would end the process): the item it ran, or else the
                // next one, ends with the fault, and the run stops on it.
                job ??= TakeAny();
                if (job != null && job.TryEnd()) _ended.Add(new ItemRun(job, ItemEnd.Stopped) { Fault = e });
            }
            finally
            {
                lock (_gate) _powerShell = null;
                Volatile.Write(ref _current, null);
                try
                {
                    powerShell?.Dispose();
                    runspace?.Dispose();
                }
                catch (Exception)
                {
                    // A runspace that will not close cleanly is left to the process's end.
                }
                _exited.Set();
            }
        }

        /// <summary>The next item to run, now <see cref="Current"/> and started; null once the worker is to end.</summary>
        private ItemJob? Take()
        {
            while (true)
            {
                var job = TakeAny();
                if (job == null) return null;
                try
                {
                    _go.Wait(_quit.Token);
                }
                catch (OperationCanceledException)
                {
                    TryGiveBack(job);
                    return null;
                }
                lock (job)
                {
                    // Stopped while it waited (a lost claim, the run ending): never started.
                    if (job.Ended) continue;
                    lock (_gate)
                    {
                        if (_stopping)
                        {
                            // Stopped meanwhile: another worker runs it.
                            TryGiveBack(job);
                            return null;
                        }
                    }
                    Volatile.Write(ref _current, job);
                    job.StartedAt = DateTime.UtcNow;
                    return job;
                }
            }
        }

        private ItemJob? TakeAny()
        {
            try
            {
                return _jobs.Take(_quit.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            catch (InvalidOperationException)
            {
                return null; // no more items (the run ended)
            }
        }

        private void TryGiveBack(ItemJob job)
        {
            try
            {
                _jobs.Add(job);
            }
            catch (InvalidOperationException)
            {
                // The run ended: its claim is released with the rest.
            }
        }
    }
}
