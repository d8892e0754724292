using System;
using System.Collections.Generic;
using System.Globalization;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Where a batch would stand for a run with this input (Invoke-Batch -WhatIf): items the input
    /// adds, items done, items failed for good, and items left to run. Computed, never written.
    /// </summary>
    internal sealed class BatchRunPreview
    {
        private BatchRunPreview(int total, int added, int done, int failed, int left, int retries, int heldByOthers)
        {
            Total = total;
            New = added;
            Done = done;
            Failed = failed;
            Left = left;
            Retries = retries;
            HeldByOthers = heldByOthers;
        }

        /// <summary>Items of the batch once the new ones are added.</summary>
        public int Total { get; }

        /// <summary>Items of the input the batch does not have yet (all of them when there is no batch).</summary>
        public int New { get; }

        /// <summary>Completed or skipped.</summary>
        public int Done { get; }

        /// <summary>Failed for good: out of attempts, or a permanent error.</summary>
        public int Failed { get; }

        /// <summary>Still to run: pending (the new ones included) and failed with attempts left.</summary>
        public int Left { get; }

        /// <summary>Of <see cref="Left"/>, failed ones with attempts left.</summary>
        public int Retries { get; }

        /// <summary>Of <see cref="Left"/>, those another worker holds now (its lease holds).</summary>
        public int HeldByOthers { get; }

        /// <param name="batch">The batch as it stands, or null when the run would create it.</param>
        /// <param name="keys">The input's item names, duplicates already removed.</param>
        /// <param name="worker">This run's worker: its own claims are not "held by others".</param>
        public static BatchRunPreview Of(Batch? batch, IReadOnlyCollection<string> keys, WorkerIdentity worker, DateTime utcNow)
        {
            if (batch == null) return new BatchRunPreview(keys.Count, keys.Count, 0, 0, keys.Count, 0, 0);
            int added = 0;
            foreach (string key in keys)
                if (batch.Find(key) == null) added++;
            int retries = batch.RemainingCount(includeFailed: true) - batch.Pending;
            int held = 0;
            foreach (var feature in batch.Remaining(includeFailed: true))
                if (feature.IsClaimedAt(utcNow) && !worker.Equals(feature.ClaimedBy) && WorkerLiveness.MayBeAlive(feature.ClaimedBy!)) held++;
            return new BatchRunPreview(
                batch.Total + added,
                added,
                batch.Completed + batch.Skipped,
                batch.Failed - retries,
                batch.RemainingCount(includeFailed: true) + added,
                retries,
                held);
        }

        /// <summary>"3 new, 10 done, 1 failed, 5 left (1 to retry, 2 held by other workers) of 16".</summary>
        public override string ToString()
        {
            string text = string.Format(CultureInfo.InvariantCulture, "{0} new, {1} done, {2} failed, {3} left", New, Done, Failed, Left);
            var notes = new List<string>();
            if (Retries > 0) notes.Add(string.Format(CultureInfo.InvariantCulture, "{0} to retry", Retries));
            if (HeldByOthers > 0) notes.Add(string.Format(CultureInfo.InvariantCulture, "{0} held by other workers", HeldByOthers));
            if (notes.Count > 0) text += " (" + string.Join(", ", notes) + ")";
            return text + string.Format(CultureInfo.InvariantCulture, " of {0}", Total);
        }
    }
}
