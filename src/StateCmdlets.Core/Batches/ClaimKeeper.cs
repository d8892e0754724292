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
    internal sealed class ClaimKeeper : IDisposable
    {
        private readonly object _gate = new object();
        private readonly Dictionary<Key, Entry> _entries = new Dictionary<Key, Entry>();
        // Its own thread, not a timer: thread-pool threads blocked elsewhere must never delay a heartbeat.
        private readonly AutoResetEvent _changed = new AutoResetEvent(false);
        private readonly ManualResetEvent _disposed = new ManualResetEvent(false);
        private Thread? _loop;
        private int _wakeups;

        /// <summary>How many times the heartbeat thread woke up (a loop that spins shows here).</summary>
        internal int Wakeups => Volatile.Read(ref _wakeups);

        /// <summary>The keeper of this process (released on exit).</summary>
        public static ClaimKeeper Shared { get; } = CreateShared();

        public ClaimKeeper()
        {
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

        /// <summary>One heartbeat now, here: renew every tracked worker's claims; drop those with nothing left.</summary>
        public void Beat()
        {
            foreach (var entry in Snapshot())
                if (Interlocked.Exchange(ref entry.Renewing, 1) == 0) Renew(entry);
        }

        /// <summary>
        /// The timer's tick: renew the entries whose third of a lease has passed, each on a thread of
        /// its own (a renewal may wait for a lock; thread-pool threads must not), so one batch whose
        /// lock is slow delays no other batch's renewal.
        /// </summary>
        private void RenewDue()
        {
            DateTime now = DateTime.UtcNow;
            foreach (var entry in Snapshot())
            {
                if (entry.NextDue > now || Interlocked.Exchange(ref entry.Renewing, 1) == 1) continue;
                new Thread(() => Renew(entry)) { IsBackground = true, Name = "StateCmdlets claim heartbeat" }.Start();
            }
        }

        private void Renew(Entry entry)
        {
            try
            {
                entry.NextDue = DateTime.UtcNow + entry.Period;
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
            finally
            {
                Volatile.Write(ref entry.Renewing, 0);
                // The heartbeat thread left this entry out of its wait while it renewed: let it count it again.
                _changed.Set();
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

        public void Dispose()
        {
            _disposed.Set();
            _loop?.Join(TimeSpan.FromSeconds(1));
        }

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

        /// <summary>Wakes the heartbeat thread (started with the first entry) to look at the entries again.</summary>
        private void Reschedule()
        {
            if (_loop == null && _entries.Count > 0)
            {
                _loop = new Thread(Loop) { IsBackground = true, Name = "StateCmdlets claim keeper" };
                _loop.Start();
            }
            _changed.Set();
        }

        /// <summary>Sleeps until the next entry is due (or the entries change), then renews what is due.</summary>
        private void Loop()
        {
            var wake = new WaitHandle[] { _disposed, _changed };
            while (true)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    // An entry whose renewal still runs (waiting for its batch's lock) is not due again
                    // until it ends; counting it would make this loop spin while it waits.
                    var waiting = _entries.Values.Where(e => Volatile.Read(ref e.Renewing) == 0).ToList();
                    wait = waiting.Count == 0 ? Timeout.InfiniteTimeSpan : waiting.Min(e => e.NextDue) - DateTime.UtcNow;
                    if (wait != Timeout.InfiniteTimeSpan && wait < TimeSpan.Zero) wait = TimeSpan.Zero;
                    // WaitAny counts whole milliseconds: a wait cut down to 0 would spin until the entry is due.
                    else if (wait != Timeout.InfiniteTimeSpan) wait = TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds));
                }
                if (WaitHandle.WaitAny(wake, wait) == 0) return;
                Interlocked.Increment(ref _wakeups);
                RenewDue();
            }
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
                Period = TimeSpan.FromTicks(lease.Ticks / 3);
                NextDue = DateTime.UtcNow + Period;
            }

            /// <summary>1 while a renewal of this entry runs (never two at once).</summary>
            internal int Renewing;

            /// <summary>A third of the lease: how often the claims are renewed.</summary>
            internal TimeSpan Period { get; }

            /// <summary>When the next renewal is due.</summary>
            internal DateTime NextDue { get; set; }

            internal IBatchStore Store { get; }

            internal string BatchId { get; }

            internal WorkerIdentity Worker { get; }

            internal TimeSpan Lease { get; }
        }
    }
}
