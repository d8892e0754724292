using System;
using System.Diagnostics;
using System.Management.Automation;

namespace StateCmdlets
{
    /// <summary>
    /// One progress bar per batch, shared by Resume-BatchState and Set-FeatureResult in the same
    /// pipeline (same activity id): done/total and an ETA from this run's own pace. Throttled, and
    /// silent when output is redirected (scheduled tasks, CI), where nobody watches a bar.
    /// </summary>
    internal sealed class BatchProgress
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly string _activity;
        private readonly int _activityId;
        private TimeSpan _lastShown = TimeSpan.FromDays(-1);
        private int _doneAtStart = -1;
        private bool _shown;

        internal BatchProgress(string batchId)
        {
            _activity = $"Batch {batchId}";
            _activityId = ActivityIdOf(batchId);
        }

        internal static bool Watched => !Console.IsOutputRedirected;

        /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> features finished.</summary>
        internal void Report(Cmdlet cmdlet, int done, int total, string? current)
        {
            if (!Watched || total <= 0) return;
            if (_doneAtStart < 0) _doneAtStart = done;
            if (_clock.Elapsed - _lastShown < Interval && done < total) return;
            _lastShown = _clock.Elapsed;

            var record = new ProgressRecord(_activityId, _activity, $"{done}/{total} done")
            {
                PercentComplete = (int)Math.Min(100, done * 100L / total),
                CurrentOperation = current,
            };
            int doneThisRun = done - _doneAtStart;
            if (doneThisRun > 0)
                record.SecondsRemaining = (int)Math.Min(int.MaxValue, _clock.Elapsed.TotalSeconds / doneThisRun * (total - done));
            cmdlet.WriteProgress(record);
            _shown = true;
        }

        /// <summary>The final record that removes the bar; always sent once anything was shown.</summary>
        internal void Complete(Cmdlet cmdlet)
        {
            if (!_shown) return;
            cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, "done") { RecordType = ProgressRecordType.Completed });
            _shown = false;
        }

        private static int ActivityIdOf(string batchId)
        {
            // Stable across cmdlets and runs (string.GetHashCode is randomised per process).
            int hash = 17;
            foreach (char c in batchId) hash = unchecked(hash * 31 + c);
            return (hash & 0x3FFFFFFF) + 1;
        }
    }
}
