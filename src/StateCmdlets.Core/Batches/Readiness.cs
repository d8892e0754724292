using System;

namespace StateCmdlets.Core.Batches
{
    /// <summary>Whether a feature should be handed out now (see <see cref="Batch.ReadinessOf"/>).</summary>
    internal sealed class Readiness
    {
        /// <summary>How the reason of a feature skipped for a failed dependency starts.</summary>
        internal const string BlockedPrefix = "Skipped because ";

        public static readonly Readiness Ready = new Readiness(ReadinessKind.Ready, null, null);

        public static readonly Readiness Done = new Readiness(ReadinessKind.Done, null, null);

        public static readonly Readiness Suspended = new Readiness(ReadinessKind.Suspended, null, null);

        private Readiness(ReadinessKind kind, DateTime? until, string? reason, FeatureResult? skip = null)
        {
            Kind = kind;
            Until = until;
            Reason = reason;
            Skip = skip;
        }

        public ReadinessKind Kind { get; }

        /// <summary>For <see cref="ReadinessKind.Waiting"/> on a backoff: when it passes.</summary>
        public DateTime? Until { get; }

        /// <summary>For <see cref="ReadinessKind.Blocked"/>: why the feature was skipped.</summary>
        public string? Reason { get; }

        internal static Readiness Waiting(DateTime? until) => new Readiness(ReadinessKind.Waiting, until, null);

        /// <summary>For <see cref="ReadinessKind.Blocked"/>: the skip the store records.</summary>
        public FeatureResult? Skip { get; }

        internal static Readiness Blocked(string reason, FeatureResult skip) => new Readiness(ReadinessKind.Blocked, null, reason, skip);
    }

    internal enum ReadinessKind
    {
        /// <summary>Hand it out.</summary>
        Ready,

        /// <summary>Finished meanwhile (another process), or not to be done: skip it.</summary>
        Done,

        /// <summary>Its retry backoff has not passed, or a feature it depends on is not done yet.</summary>
        Waiting,

        /// <summary>A feature it depends on failed for good: it was recorded Skipped.</summary>
        Blocked,

        /// <summary>The batch's circuit breaker is open: hand out nothing.</summary>
        Suspended,
    }
}
