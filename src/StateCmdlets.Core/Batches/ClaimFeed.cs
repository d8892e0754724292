using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Hands out a batch's features to one worker, one at a time, claiming them a few at a time
    /// ahead: more at once when they come back quickly (fewer claim records), one at a time when
    /// they are slow (no hoarding while other workers idle). Each feature at most once per run,
    /// unless retries are wanted (then again after a newer result says it failed). Disposing it
    /// releases what was claimed but never handed out. Resume-BatchState and Invoke-Batch use it.
    /// </summary>
    internal sealed class ClaimFeed : IDisposable
    {
        /// <summary>At most this many features claimed ahead.</summary>
        public const int MaxPrefetch = 32;

        private readonly IBatchStore _store;
        private readonly string _batchId;
        private readonly WorkerIdentity _worker;
        private readonly Dictionary<string, int> _handedOut = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly Queue<Feature> _queue = new Queue<Feature>();
        private readonly Stopwatch _sinceClaim = new Stopwatch();
        private int _size = 1;
        private bool _first = true;
        private bool _fromClaim;

        /// <param name="keep">Where the claims are kept alive: the heartbeat and, on exit, the release (null: not kept).</param>
        /// <param name="backgroundStore">The store the heartbeat uses (one that may be called from any thread).</param>
        public ClaimFeed(IBatchStore store, string batchId, WorkerIdentity worker, ClaimKeeper? keep = null, IBatchStore? backgroundStore = null)
        {
            _store = store;
            _batchId = batchId;
            _worker = worker;
            Keeper = keep;
            BackgroundStore = backgroundStore ?? store;
        }

        /// <summary>
        /// How many the first claim asks for (1 to <see cref="MaxPrefetch"/>; default 1): a worker
        /// that runs several features at once (Invoke-Batch -ThrottleLimit) claims that many at
        /// once, not one and then two and then four while its runners wait.
        /// </summary>
        public int FirstClaimSize
        {
            get => _size;
            set
            {
                if (!_first) throw new InvalidOperationException("The first claim was made already.");
                _size = Math.Max(1, Math.Min(value, MaxPrefetch));
            }
        }

        /// <summary>How long claims hold without a heartbeat; null: the batch's own lease.</summary>
        public TimeSpan? Lease { get; set; }

        public bool IncludeFailed { get; set; } = true;

        /// <summary>Hand a feature out again in this run once a newer result says it failed (and its backoff passed).</summary>
        public bool Retry { get; set; }

        /// <summary>
        /// Look at the breaker before each feature handed out from claims made earlier (the
        /// default): results recorded downstream may have opened it. A worker that records every
        /// result itself turns this off and calls <see cref="Suspend"/> when one of its failures
        /// opened it; other workers' failures are seen at its next claim.
        /// </summary>
        public bool CheckBreakerEachFeature { get; set; } = true;

        /// <summary>The worker claims go to.</summary>
        public WorkerIdentity Worker => _worker;

        public ClaimKeeper? Keeper { get; }

        public IBatchStore BackgroundStore { get; }

        /// <summary>The last claim's answer: why nothing more came (suspended, backoffs, held by others), and the counters.</summary>
        public ClaimGrant? LastGrant { get; private set; }

        /// <summary>The batch's breaker opened: nothing more is handed out.</summary>
        public bool Suspended { get; private set; }

        /// <summary>Features blocked by a dependency that failed for good, skipped on the way (name, reason).</summary>
        public event Action<string, string>? Blocked;

        /// <summary>
        /// The next feature to work on (claimed for this worker, with its token), or null when none
        /// is ready now: see <see cref="Suspended"/> and <see cref="LastGrant"/> (NextRetry) for why.
        /// </summary>
        public Feature? Next(CancellationToken cancellationToken)
        {
            if (Suspended) return null;
            if (_queue.Count == 0 && !Claim(cancellationToken)) return null;
            // Results recorded since the claim (downstream, or by other workers) may have opened the breaker.
            if (!_fromClaim && CheckBreakerEachFeature && _store.Summary(_batchId, cancellationToken).Status == BatchStatus.Suspended)
            {
                Suspended = true;
                return null;
            }
            _fromClaim = false;
            var next = _queue.Dequeue();
            _handedOut[next.Name] = Retry ? next.Attempts : int.MaxValue;
            return next;
        }

        /// <summary>The breaker opened (a failure recorded by the caller said so): nothing more is handed out.</summary>
        public void Suspend() => Suspended = true;

        /// <summary>Features claimed but not handed out go back at once (nobody waits for their lease).</summary>
        public void Dispose()
        {
            if (_queue.Count == 0) return;
            var left = _queue.Select(f => f.Name).ToList();
            _queue.Clear();
            try
            {
                _store.Release(_batchId, _worker, left, CancellationToken.None);
            }
            catch (StateException)
            {
                // They run out with their lease instead.
            }
        }

        private bool Claim(CancellationToken cancellationToken)
        {
            if (!_first) _size = _sinceClaim.Elapsed < TimeSpan.FromSeconds(1) ? Math.Min(_size * 2, MaxPrefetch) : _sinceClaim.Elapsed > TimeSpan.FromSeconds(10) ? 1 : _size;
            var request = new ClaimRequest(_worker, _size) { Lease = Lease, IncludeFailed = IncludeFailed, ReclaimOwn = _first, HandedOut = _handedOut };
            var grant = _store.Claim(_batchId, request, cancellationToken);
            _first = false;
            _sinceClaim.Restart();
            LastGrant = grant;
            foreach (var blocked in grant.Blocked) Blocked?.Invoke(blocked.Key, blocked.Value);
            if (grant.Claimed.Count > 0) Keeper?.Track(BackgroundStore, _batchId, _worker, grant.Lease);
            if (grant.Suspended)
            {
                Suspended = true;
                return false;
            }
            foreach (var feature in grant.Claimed) _queue.Enqueue(feature);
            _fromClaim = grant.Claimed.Count > 0;
            return grant.Claimed.Count > 0;
        }
    }
}
