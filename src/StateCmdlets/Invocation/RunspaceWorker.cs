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
    /// of a millisecond, not a new pipeline and runspace. It takes items one at a time from its
    /// inbox and hands each run to the shared queue of ended runs.
    /// </summary>
    internal sealed class RunspaceWorker
    {
        private readonly BlockingCollection<ItemJob> _inbox = new BlockingCollection<ItemJob>();
        private readonly BlockingCollection<ItemRun> _ended;
        private readonly InitialSessionState _sessionState;
        private readonly string? _location;
        private readonly ScriptBlock _block;
        private readonly IDictionary _variables;
        private readonly Thread _thread;
        private readonly object _gate = new object();
        private readonly ManualResetEvent _exited = new ManualResetEvent(false);
        private PowerShell? _powerShell;
        private bool _stopping;

        /// <param name="block">This worker's own copy of the block (made from its text; unbound, so it runs in this worker's runspace).</param>
        internal RunspaceWorker(int number, InitialSessionState sessionState, string? location, ScriptBlock block, IDictionary variables, BlockingCollection<ItemRun> ended)
        {
            _sessionState = sessionState;
            _location = location;
            _block = block;
            _variables = variables;
            _ended = ended;
            _thread = new Thread(Loop) { IsBackground = true, Name = "StateCmdlets Invoke-Batch worker " + number };
            _thread.Start();
        }

        /// <summary>The item it runs now (set and cleared by the pipeline thread only).</summary>
        internal ItemJob? Current { get; set; }

        /// <summary>Signalled once its thread has ended (its runspace closed).</summary>
        internal WaitHandle Exited => _exited;

        internal void Run(ItemJob job)
        {
            Current = job;
            _inbox.Add(job);
        }

        /// <summary>Stops the item it runs (if any) and ends the worker: its runspace is closed, never reused.</summary>
        internal void Stop()
        {
            PowerShell? running;
            lock (_gate)
            {
                _stopping = true;
                running = _powerShell;
            }
            _inbox.CompleteAdding();
            try { running?.BeginStop(null, null); }
            catch (ObjectDisposedException) { }
            catch (InvalidOperationException) { }
        }

        /// <summary>Ends the worker once its inbox is empty (the run is over).</summary>
        internal void Finish() => _inbox.CompleteAdding();

        private void Loop()
        {
            Runspace? runspace = null;
            PowerShell? powerShell = null;
            ItemJob? job = null;
            try
            {
                var to = RunTrace.Now();
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
                RunTrace.Add("worker.open", to);
                lock (_gate)
                {
                    if (_stopping) return;
                    _powerShell = powerShell;
                }
                foreach (var next in _inbox.GetConsumingEnumerable())
                {
                    job = next;
                    lock (_gate)
                        if (_stopping) break;
                    job.StartedAt = DateTime.UtcNow;
                    RunTrace.Add("worker.pickup", job.HandedAt);
                    var ts = RunTrace.Now();
                    var run = ItemScript.Run(powerShell, job, _block, null);
                    RunTrace.Add("worker.script", ts);
                    job.EndedAt = RunTrace.Now();
                    if (job.TryEnd()) _ended.Add(run);
                    job = null;
                }
            }
            catch (Exception e)
            {
                // Never out of this thread (that would end the process): every item handed to this
                // worker ends with the fault, and the run stops on the first.
                if (job != null && job.TryEnd()) _ended.Add(new ItemRun(job, ItemEnd.Stopped) { Fault = e });
                foreach (var next in _inbox.GetConsumingEnumerable())
                    if (next.TryEnd()) _ended.Add(new ItemRun(next, ItemEnd.Stopped) { Fault = e });
            }
            finally
            {
                lock (_gate) _powerShell = null;
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
    }
}
