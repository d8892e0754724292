using System;
using System.Linq;
using System.Management.Automation;
using StateCmdlets.Core.Batches;

namespace StateCmdlets
{
    /// <summary>
    /// Base of the commands that make a batch (New-BatchState, Invoke-Batch): the batch's settings,
    /// declared once so both take the same parameters with the same ranges and defaults.
    /// </summary>
    public abstract class BatchSettingsCmdletBase : LockingBatchCmdletBase
    {
        /// <summary>Attempts a feature gets before its failure is final (default 3).</summary>
        [Parameter]
        [ValidateRange(1, 1000000)]
        public int MaxAttempts { get; set; } = BatchDefinition.DefaultMaxAttempts;

        /// <summary>Seconds to wait before retrying a failed feature, doubled per attempt with jitter (0: at once).</summary>
        [Parameter]
        [ValidateRange(0.0, 31536000.0)]
        public double RetryDelay { get; set; }

        /// <summary>The cap of that wait, in seconds (default 3600).</summary>
        [Parameter]
        [ValidateRange(0.0, 31536000.0)]
        public double MaxRetryDelay { get; set; } = BatchSettings.DefaultMaxRetryDelay.TotalSeconds;

        /// <summary>Failures in a row that suspend the batch (default 5; 0 turns the breaker off).</summary>
        [Parameter]
        [ValidateRange(0, 1000000)]
        public int MaxConsecutiveFailures { get; set; } = BatchSettings.DefaultMaxConsecutiveFailures;

        /// <summary>The context budget in tokens (default 150,000).</summary>
        [Parameter]
        [ValidateRange(1L, long.MaxValue)]
        public long ContextTokenLimit { get; set; } = BatchSettings.DefaultContextTokenLimit;

        /// <summary>How long a worker's claim on a feature holds without a heartbeat, in seconds (default 60).</summary>
        [Parameter]
        [ValidateRange(1.0, 86400.0)]
        public double LeaseSeconds { get; set; } = BatchSettings.DefaultLease.TotalSeconds;

        /// <summary>Exception types (full or short names) whose failures are never retried.</summary>
        [Parameter]
        public string[]? PermanentErrorType { get; set; }

        /// <summary>The settings a new batch gets from these parameters.</summary>
        private protected BatchSettings SettingsFromParameters() => new BatchSettings
        {
            MaxAttempts = MaxAttempts,
            MaxConsecutiveFailures = MaxConsecutiveFailures,
            RetryDelay = TimeSpan.FromSeconds(RetryDelay),
            MaxRetryDelay = TimeSpan.FromSeconds(MaxRetryDelay),
            ContextTokenLimit = ContextTokenLimit,
            Lease = TimeSpan.FromSeconds(LeaseSeconds),
            PermanentErrorTypes = PermanentErrorType ?? new string[0],
        };

        /// <summary>Whether any setting of a new batch (the lease aside, which also applies to a run) was given.</summary>
        private protected bool SettingsGiven() =>
            new[] { nameof(MaxAttempts), nameof(RetryDelay), nameof(MaxRetryDelay), nameof(MaxConsecutiveFailures), nameof(ContextTokenLimit), nameof(PermanentErrorType) }
                .Any(MyInvocation.BoundParameters.ContainsKey);
    }
}
