using System;
using System.Collections.Generic;
using System.Linq;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// What a claim will take, worked out on the batch in memory under the store's lock: the
    /// features to claim, and the skips of features whose dependency failed for good (already
    /// applied, for the store to record). <see cref="Complete"/> turns it into the worker's grant.
    /// </summary>
    internal sealed class ClaimPlan
    {
        internal List<Feature> Picked { get; } = new List<Feature>();

        internal List<FeatureResult> Skips { get; } = new List<FeatureResult>();

        internal ClaimGrant Grant { get; } = new ClaimGrant();

        /// <summary>The grant, once the claim is applied: each feature as claimed (token, lease), and where the batch stands.</summary>
        internal ClaimGrant Complete(Batch batch)
        {
            Grant.Claimed.AddRange(Picked.Select(f => f.Clone()));
            Grant.Total = batch.Total;
            Grant.Remaining = batch.RemainingCount(includeFailed: true);
            Grant.ConsecutiveFailures = batch.ConsecutiveFailures;
            Grant.MaxConsecutiveFailures = batch.Settings.MaxConsecutiveFailures;
            return Grant;
        }

        internal static ClaimPlan For(Batch batch, ClaimRequest request, DateTime utcNow)
        {
            var plan = new ClaimPlan();
            if (batch.IsSuspended)
            {
                plan.Grant.Suspended = true;
                return plan;
            }
            var worker = request.Worker;
            IEnumerable<Feature> order = batch.Features.Any(f => f.DependsOn.Count > 0)
                ? batch.RemainingInOrder(request.IncludeFailed)
                : batch.Remaining(request.IncludeFailed);
            int fresh = 0;
            var alive = new Dictionary<WorkerIdentity, bool>();
            foreach (var feature in order)
            {
                if (request.HandedOut.TryGetValue(feature.Name, out int attemptsThen) && feature.Attempts <= attemptsThen) continue;
                // A claim of a process known dead (of this machine) is free at once.
                bool held = feature.IsClaimedAt(utcNow) && IsAlive(feature.ClaimedBy!, alive);
                bool mine = held && worker.Equals(feature.ClaimedBy);
                if (held && !mine)
                {
                    plan.Grant.HeldByOthers++;
                    continue;
                }
                // In flight in this run: its result is on the way.
                if (mine && !request.ReclaimOwn) continue;
                // Enough new features: the first claim of a run still looks for all its own earlier ones.
                if (!mine && fresh >= request.MaxItems)
                {
                    if (request.ReclaimOwn) continue;
                    break;
                }
                var readiness = batch.ReadinessOf(feature, request.IncludeFailed, utcNow);
                switch (readiness.Kind)
                {
                    case ReadinessKind.Ready:
                        plan.Picked.Add(feature);
                        if (!mine) fresh++;
                        break;
                    case ReadinessKind.Blocked:
                        batch.Apply(readiness.Skip!, utcNow, string.Empty);
                        plan.Skips.Add(readiness.Skip!);
                        plan.Grant.Blocked.Add(new KeyValuePair<string, string>(feature.Name, readiness.Reason!));
                        break;
                    case ReadinessKind.Waiting when readiness.Until.HasValue:
                        if (plan.Grant.NextRetry == null || readiness.Until < plan.Grant.NextRetry) plan.Grant.NextRetry = readiness.Until;
                        break;
                    case ReadinessKind.Waiting:
                        plan.Grant.WaitingForDependencies = true;
                        break;
                }
            }
            return plan;
        }

        private static bool IsAlive(WorkerIdentity worker, Dictionary<WorkerIdentity, bool> known)
        {
            if (!known.TryGetValue(worker, out bool alive)) known[worker] = alive = WorkerLiveness.MayBeAlive(worker);
            return alive;
        }
    }
}
