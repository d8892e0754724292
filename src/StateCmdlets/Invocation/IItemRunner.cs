using System;
using System.Collections.Generic;
using System.Threading;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// Runs items' script blocks, up to <see cref="Capacity"/> at once, and hands back each run as
    /// it ends. Every method is called on the pipeline thread only.
    /// </summary>
    internal interface IItemRunner : IDisposable
    {
        /// <summary>How many items it takes at once: running, or waiting for a worker to be free.</summary>
        int Capacity { get; }

        /// <summary>Whether it can stop one item and go on with the others (a timeout, a lost claim).</summary>
        bool CanStopOne { get; }

        /// <summary>Whether <see cref="Start"/> returns at once, the item running on a thread of its own (not in the caller's runspace).</summary>
        bool RunsAside { get; }

        /// <summary>Gets ready for about <paramref name="items"/> items (worker runspaces start opening now).</summary>
        void Prepare(int items);

        /// <summary>Starts an item (the runner in the caller's runspace runs it to its end right here).</summary>
        void Start(ItemJob job);

        /// <summary>The next run that ended, waiting up to <paramref name="wait"/>; Ctrl+C throws OperationCanceledException.</summary>
        bool TryTake(TimeSpan wait, CancellationToken cancellationToken, out ItemRun? run);

        /// <summary>
        /// Stops one item that still runs (its runspace is stopped and replaced) and returns its run,
        /// ended as <paramref name="why"/>; null when it had ended meanwhile (its own run comes instead).
        /// </summary>
        ItemRun? Stop(ItemJob job, ItemEnd why);

        /// <summary>
        /// Lets workers start waiting items again. A failure (or an item stopped) holds them until
        /// the run has recorded it, since it may open the batch's breaker: then the waiting items
        /// are taken back, not run.
        /// </summary>
        void Resume();

        /// <summary>Takes back the items handed to it that no worker has started yet (the batch's breaker opened: they do not run).</summary>
        IReadOnlyList<ItemJob> TakeBackWaiting();

        /// <summary>
        /// Stops every item that still runs and waits up to <paramref name="wait"/> for their blocks
        /// to end; returns the runs that ended on their own and were not taken yet.
        /// </summary>
        IReadOnlyList<ItemRun> StopAll(TimeSpan wait);
    }
}
