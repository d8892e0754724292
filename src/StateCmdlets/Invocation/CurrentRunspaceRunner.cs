using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// -ThrottleLimit 1: each item runs in the caller's own runspace (a nested pipeline on the
    /// pipeline thread), as ForEach-Object runs it, so it sees the caller's functions and modules
    /// and needs no runspace of its own (Windows PowerShell 5.1 included). One item at a time; it
    /// cannot stop one item and go on, so it is not used with -TimeoutSeconds.
    /// </summary>
    internal sealed class CurrentRunspaceRunner : IItemRunner
    {
        private readonly ScriptBlock _block;
        private readonly IDictionary? _scopeVariables;
        private readonly Queue<ItemRun> _ended = new Queue<ItemRun>();
        private PowerShell? _powerShell;

        /// <param name="scopeVariables">Variables each item's scope needs (the $using: values, -ErrorAction), or null: the caller's scope has the rest.</param>
        internal CurrentRunspaceRunner(ScriptBlock block, IDictionary? scopeVariables)
        {
            _block = block;
            _scopeVariables = scopeVariables;
        }

        public int Capacity => 1;

        public bool CanStopOne => false;

        public bool RunsAside => false;

        public void Prepare(int items)
        {
        }

        public void Start(ItemJob job)
        {
            job.StartedAt = DateTime.UtcNow;
            var powerShell = _powerShell ??= PowerShell.Create(RunspaceMode.CurrentRunspace);
            var run = ItemScript.Run(powerShell, job, _block, _scopeVariables);
            if (job.TryEnd()) _ended.Enqueue(run);
        }

        public bool TryTake(TimeSpan wait, CancellationToken cancellationToken, out ItemRun? run)
        {
            cancellationToken.ThrowIfCancellationRequested();
            run = _ended.Count > 0 ? _ended.Dequeue() : null;
            return run != null;
        }

        public ItemRun? Stop(ItemJob job, ItemEnd why) => null;

        public void Resume()
        {
        }

        public IReadOnlyList<ItemJob> TakeBackWaiting() => new ItemJob[0];

        public IReadOnlyList<ItemRun> StopAll(TimeSpan wait)
        {
            var left = new List<ItemRun>(_ended);
            _ended.Clear();
            return left;
        }

        /// <summary>Ctrl+C, from the thread that stops the pipeline: the nested pipeline stops with it.</summary>
        internal void StopFromAnyThread()
        {
            try { _powerShell?.BeginStop(null, null); }
            catch (ObjectDisposedException) { }
            catch (InvalidOperationException) { }
        }

        public void Dispose() => _powerShell?.Dispose();
    }
}
