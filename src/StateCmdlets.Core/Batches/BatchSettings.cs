using System;
using System.Collections.Generic;

namespace StateCmdlets.Core.Batches
{
    /// <summary>How a batch treats failures and its context budget; fixed when the batch is created.</summary>
    internal sealed class BatchSettings
    {
        public const int DefaultMaxAttempts = 3;
        public const int DefaultMaxConsecutiveFailures = 5;
        public const long DefaultContextTokenLimit = 150000;
        public static readonly TimeSpan DefaultMaxRetryDelay = TimeSpan.FromHours(1);
        public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(60);
        public static readonly TimeSpan MinimumLease = TimeSpan.FromSeconds(1);

        /// <summary>Results a feature may have before a failure is final.</summary>
        public int MaxAttempts { get; set; } = DefaultMaxAttempts;

        /// <summary>Failures in a row that suspend the batch (the circuit breaker); 0 turns it off.</summary>
        public int MaxConsecutiveFailures { get; set; } = DefaultMaxConsecutiveFailures;

        /// <summary>Wait before the first retry of a failed feature, doubled per attempt (with jitter); zero: retry at once.</summary>
        public TimeSpan RetryDelay { get; set; } = TimeSpan.Zero;

        /// <summary>The cap of that wait.</summary>
        public TimeSpan MaxRetryDelay { get; set; } = DefaultMaxRetryDelay;

        /// <summary>The context budget: <see cref="Batch.ShouldClearContext"/> turns true at it.</summary>
        public long ContextTokenLimit { get; set; } = DefaultContextTokenLimit;

        /// <summary>How long a claim holds without a renewal (a worker alive renews it every third of this).</summary>
        public TimeSpan Lease { get; set; } = DefaultLease;

        /// <summary>Exception type names (full or short) whose failures are never retried.</summary>
        public IReadOnlyList<string> PermanentErrorTypes { get; set; } = Array.Empty<string>();

        internal void Validate()
        {
            if (Lease < MinimumLease || Lease > TimeSpan.FromDays(1))
                throw new InvalidBatchDefinitionException(StateErrorIds.InvalidSetting, $"The lease must be from 1 second to 1 day (got {Lease.TotalSeconds} s).");
            if (MaxAttempts < 1)
                throw new InvalidBatchDefinitionException(StateErrorIds.InvalidMaxAttempts, $"MaxAttempts must be at least 1 (got {MaxAttempts}).");
            if (MaxConsecutiveFailures < 0)
                throw new InvalidBatchDefinitionException(StateErrorIds.InvalidSetting, $"MaxConsecutiveFailures must be 0 (off) or more (got {MaxConsecutiveFailures}).");
            if (RetryDelay < TimeSpan.Zero || MaxRetryDelay < TimeSpan.Zero)
                throw new InvalidBatchDefinitionException(StateErrorIds.InvalidSetting, "RetryDelay and MaxRetryDelay cannot be negative.");
            if (ContextTokenLimit < 1)
                throw new InvalidBatchDefinitionException(StateErrorIds.InvalidSetting, $"ContextTokenLimit must be at least 1 (got {ContextTokenLimit}).");
        }
    }
}
