using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace StateCmdlets
{
    /// <summary>
    /// One progress bar per batch: done/total, this run's rate and an ETA from its pace. Throttled, and
    /// silent when output is redirected (scheduled tasks, CI), where nobody watches a bar. Each
    /// command's records make a bar of their own, so while Resume-BatchState shows the batch's bar
    /// (it leads), Set-FeatureResult in the same runspace shows none for that batch.
    /// </summary>
    internal sealed class BatchProgress
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
        private static readonly Dictionary<(Guid Runspace, string BatchId), int> Leads = new Dictionary<(Guid, string), int>();
        private readonly (Guid Runspace, string BatchId) _key;
        private readonly bool _leads;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly string _activity;
        private readonly int _activityId;
        private TimeSpan _lastShown = TimeSpan.FromDays(-1);
        private int _doneAtStart = -1;
        private bool _shown;

        /// <param name="leads">True for Resume-BatchState: its bar is the batch's one until <see cref="Complete"/>.</param>
        internal BatchProgress(string batchId, bool leads = false)
        {
            _activity = $"Batch {batchId}";
            _activityId = ActivityIdOf(batchId);
            _key = (Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty, batchId);
            _leads = leads;
            if (!leads) return;
            lock (Leads) Leads[_key] = Leads.TryGetValue(_key, out int count) ? count + 1 : 1;
        }

        internal static bool Watched => !Console.IsOutputRedirected;

        /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> features finished.</summary>
        internal void Report(Cmdlet cmdlet, int done, int total, string? current)
        {
            if (!Watched || total <= 0 || Led) return;
            if (_doneAtStart < 0) _doneAtStart = done;
            if (_clock.Elapsed - _lastShown < Interval && done < total) return;
            _lastShown = _clock.Elapsed;

            int doneThisRun = done - _doneAtStart;
            double seconds = _clock.Elapsed.TotalSeconds;
            // The rate of this run (items done in earlier runs count in done/total, not in the rate).
            string rate = doneThisRun > 0 && seconds > 0 ? string.Format(System.Globalization.CultureInfo.InvariantCulture, ", {0:0.#}/s", doneThisRun / seconds) : string.Empty;
            var record = new ProgressRecord(_activityId, _activity, $"{done}/{total} done{rate}")
            {
                PercentComplete = (int)Math.Min(100, done * 100L / total),
                CurrentOperation = current,
            };
            if (doneThisRun > 0)
                record.SecondsRemaining = (int)Math.Min(int.MaxValue, seconds / doneThisRun * (total - done));
            cmdlet.WriteProgress(record);
            _shown = true;
        }

        /// <summary>The final record that removes the bar; always sent once anything was shown.</summary>
        internal void Complete(Cmdlet cmdlet)
        {
            if (_leads)
            {
                lock (Leads)
                {
                    if (Leads.TryGetValue(_key, out int count) && count > 1) Leads[_key] = count - 1;
                    else Leads.Remove(_key);
                }
            }
            if (!_shown) return;
            cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, "done") { RecordType = ProgressRecordType.Completed });
            _shown = false;
        }

        /// <summary>Whether another command leads this batch's bar in this runspace.</summary>
        private bool Led
        {
            get
            {
                if (_leads) return false;
                lock (Leads) return Leads.ContainsKey(_key);
            }
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
