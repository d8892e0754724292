using System;
using System.Threading;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Invocation
{
    /// <summary>One claimed item handed to a runner: the feature, its claim's token, and the input object its block gets as $_.</summary>
    internal sealed class ItemJob
    {
        private int _ended;
        private long _startedAt = DateTime.MaxValue.Ticks;

        internal ItemJob(Feature feature, object input)
        {
            Name = feature.Name;
            Token = feature.ClaimToken;
            Attempts = feature.Attempts;
            Input = input;
        }

        internal string Name { get; }

        /// <summary>The fencing token of the claim the item runs under; its result carries it.</summary>
        internal long Token { get; }

        /// <summary>Results recorded for the item before this run of it.</summary>
        internal int Attempts { get; }

        /// <summary>The original input object of this run, or the item's name for an item only an earlier run's input had.</summary>
        internal object Input { get; }

        /// <summary>
        /// When its block started (for -TimeoutSeconds): set by the thread that runs it, read by the
        /// pipeline thread; DateTime.MaxValue while it waits for its worker's runspace to open.
        /// </summary>
        internal DateTime StartedAt
        {
            get => new DateTime(Volatile.Read(ref _startedAt), DateTimeKind.Utc);
            set => Volatile.Write(ref _startedAt, value.Ticks);
        }

        /// <summary>When it times out: <paramref name="timeout"/> after its block started; null while it has not started.</summary>
        internal DateTime? Deadline(TimeSpan timeout)
        {
            var started = StartedAt;
            return started == DateTime.MaxValue ? (DateTime?)null : started + timeout;
        }

        /// <summary>
        /// Decides who reports the item's end, once: the worker that ran it to its end, or the run
        /// that stops it (a timeout, a lost claim). The loser's report is dropped.
        /// </summary>
        internal bool TryEnd() => Interlocked.Exchange(ref _ended, 1) == 0;

        /// <summary>Whether its end was decided (a worker must not start it then).</summary>
        internal bool Ended => Volatile.Read(ref _ended) == 1;
    }
}
