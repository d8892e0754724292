using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Keeps this process's claims alive while it lives, and lets them go when it exits normally.
    /// Every third of the shortest lease tracked, one renewal per batch and worker (a batch whose
    /// worker holds nothing any more is dropped); on process exit, one release each, so other
    /// workers need not wait for the leases to run out. A process killed, frozen or cut off loses
    /// its claims after one lease.
    /// </summary>
    public sealed class ClaimKeeper : IDisposable
    {
        private readonly object _gate = new object();
        private readonly Dictionary<Key, Entry> _entries = new Dictionary<Key, Entry>();
        private readonly Timer _timer;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private int _beating;

        /// <summary>The keeper of this process (released on exit).</summary>
        public static ClaimKeeper Shared { get; } = CreateShared();

        public ClaimKeeper()
        {
            _timer = new Timer(_ => Beat(), null, Timeout.Infinite, Timeout.Infinite);
        }

        /// <summary>Failures of a renewal or release (the store unreachable, say), for tracing; the next beat tries again.</summary>
        public event Action<string>? Trace;

        /// <summary>Number of batches (per worker) this keeper renews.</summary>
        public int Count
        {
            get { lock (_gate) return _entries.Count; }
        }

        /// <summary>
        /// Renews <paramref name="worker"/>'s claims on the batch every third of the lease from now
        /// on. <paramref name="store"/> must be usable from any thread (no cmdlet output in its tracing).
        /// </summary>
        public void Track(IBatchStore store, string batchId, WorkerIdentity worker, TimeSpan lease)
        {
            lock (_gate)
            {
                _entries[new Key(store.Location, batchId, worker)] = new Entry(store, batchId, worker, lease);
                Reschedule();
            }
        }

        /// <summary>Stops renewing (the worker holds nothing more on the batch).</summary>
        public void Untrack(IBatchStore store, string batchId, WorkerIdentity worker)
        {
            lock (_gate)
            {
                _entries.Remove(new Key(store.Location, batchId, worker));
                Reschedule();
            }
        }

        /// <summary>One heartbeat now: renew every tracked worker's claims; drop those with nothing left.</summary>
        public void Beat()
        {
            if (Interlocked.Exchange(ref _beating, 1) == 1) return; // the last beat is still at work
            try
            {
                foreach (var entry in Snapshot())
                {
                    try
                    {
                        if (entry.Store.Renew(entry.BatchId, entry.Worker, entry.Lease, CancellationToken.None) == 0) Drop(entry);
                    }
                    catch (BatchNotFoundException)
                    {
                        Drop(entry);
                    }
                    catch (StateException e)
                    {
                        Trace?.Invoke($"Renewing the claims of {entry.Worker} on batch '{entry.BatchId}' failed (the next heartbeat tries again): {e.Message}");
                    }
                }
            }
            finally
            {
                Volatile.Write(ref _beating, 0);
            }
        }

        /// <summary>Ends every tracked worker's claims (the process is exiting), and tracks nothing more.</summary>
        public void ReleaseAll()
        {
            foreach (var entry in Snapshot())
            {
                try
                {
                    entry.Store.Release(entry.BatchId, entry.Worker, null, CancellationToken.None);
                }
                catch (StateException e)
                {
                    Trace?.Invoke($"Releasing the claims of {entry.Worker} on batch '{entry.BatchId}' failed; they run out with their lease: {e.Message}");
                }
                Drop(entry);
            }
        }

        public void Dispose() => _timer.Dispose();

        private static ClaimKeeper CreateShared()
        {
            var keeper = new ClaimKeeper();
            AppDomain.CurrentDomain.ProcessExit += (sender, e) => keeper.ReleaseAll();
            return keeper;
        }

        private List<Entry> Snapshot()
        {
            lock (_gate) return _entries.Values.ToList();
        }

        private void Drop(Entry entry)
        {
            lock (_gate)
            {
                var key = new Key(entry.Store.Location, entry.BatchId, entry.Worker);
                if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry)) _entries.Remove(key);
                Reschedule();
            }
        }

        /// <summary>Every third of the shortest lease tracked; stopped when nothing is.</summary>
        private void Reschedule()
        {
            var period = _entries.Count == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(_entries.Values.Min(e => e.Lease).Ticks / 3);
            if (period == _period) return;
            _period = period;
            _timer.Change(period, period);
        }

        private readonly struct Key : IEquatable<Key>
        {
            private readonly string _location;
            private readonly string _batchId;
            private readonly WorkerIdentity _worker;

            internal Key(string location, string batchId, WorkerIdentity worker)
            {
                _location = location;
                _batchId = batchId;
                _worker = worker;
            }

            public bool Equals(Key other) => _location == other._location && _batchId == other._batchId && _worker.Equals(other._worker);

            public override bool Equals(object? obj) => obj is Key other && Equals(other);

            public override int GetHashCode() => (_location.GetHashCode() * 31 + _batchId.GetHashCode()) * 31 + _worker.GetHashCode();
        }

        private sealed class Entry
        {
            internal Entry(IBatchStore store, string batchId, WorkerIdentity worker, TimeSpan lease)
            {
                Store = store;
                BatchId = batchId;
                Worker = worker;
                Lease = lease;
            }

            internal IBatchStore Store { get; }

            internal string BatchId { get; }

            internal WorkerIdentity Worker { get; }

            internal TimeSpan Lease { get; }
        }
    }
}
