using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// A batch of work items and their outcomes. Counters and status are derived from the features:
    /// never stored on disk, and in memory kept by the one method that changes a feature.
    /// </summary>
    internal sealed class Batch
    {
        public const int MaxNameLength = 1024;

        private readonly List<Feature> _features;
        private readonly Dictionary<string, Feature> _byName;
        private readonly int[] _counts = new int[4];
        private readonly List<ContextClear> _contextClears = new List<ContextClear>();
        private int _retryable;

        internal Batch(string batchId, string name, DateTime createdAt, DateTime updatedAt, BatchSettings settings, SchemaVersion schemaVersion, List<Feature> features)
        {
            BatchId = batchId;
            Name = name;
            CreatedAt = createdAt;
            UpdatedAt = updatedAt;
            Settings = settings;
            SchemaVersion = schemaVersion;
            _features = features;
            _byName = new Dictionary<string, Feature>(features.Count, StringComparer.Ordinal);
            foreach (var feature in features)
            {
                if (_byName.ContainsKey(feature.Name))
                    throw new InvalidBatchDefinitionException(StateErrorIds.DuplicateFeature, $"Feature '{feature.Name}' appears more than once; feature names must be unique within a batch.");
                _byName.Add(feature.Name, feature);
                Count(feature, +1);
            }
        }

        public string BatchId { get; }

        public string Name { get; }

        public DateTime CreatedAt { get; }

        public DateTime UpdatedAt { get; private set; }

        public BatchSettings Settings { get; }

        public int MaxAttempts => Settings.MaxAttempts;

        /// <summary>The schema version of the file this batch was read from (or is written in).</summary>
        public SchemaVersion SchemaVersion { get; internal set; }

        public IReadOnlyList<Feature> Features => _features;

        public int Total => _features.Count;

        public int Completed => _counts[(int)FeatureStatus.Completed];

        public int Failed => _counts[(int)FeatureStatus.Failed];

        public int Skipped => _counts[(int)FeatureStatus.Skipped];

        public int Pending => _counts[(int)FeatureStatus.Pending];

        /// <summary>Tokens used since the context was last cleared.</summary>
        public long ContextTokens { get; private set; }

        /// <summary>The context budget is spent: time to clear it (then <see cref="ResetContext"/>).</summary>
        public bool ShouldClearContext => ContextTokens >= Settings.ContextTokenLimit;

        public IReadOnlyList<ContextClear> ContextClears => _contextClears;

        /// <summary>Failures recorded in a row, since the last success or reset.</summary>
        public int ConsecutiveFailures { get; private set; }

        /// <summary>The circuit breaker is open: too many failures in a row, and work is left.</summary>
        public bool IsSuspended => IsSuspendedWith(RemainingCount(includeFailed: true));

        /// <summary>The breaker, for a store that holds only some of the features (and counts the rest in place).</summary>
        internal bool IsSuspendedWith(int remaining) =>
            Settings.MaxConsecutiveFailures > 0 && ConsecutiveFailures >= Settings.MaxConsecutiveFailures && remaining > 0;

        public int CheckpointCount { get; private set; }

        /// <summary>The last fencing token given out: every claim gets a higher one.</summary>
        public long LastClaimToken { get; private set; }

        /// <summary>
        /// Features whose claim holds at <paramref name="utcNow"/> (work in progress somewhere); not
        /// those of a process known dead, which the next claim hands out at once.
        /// </summary>
        public int InProgressAt(DateTime utcNow) => _features.Count(f => f.IsClaimedAt(utcNow) && WorkerLiveness.MayBeAlive(f.ClaimedBy!));

        public DateTime? LastCheckpointAt { get; private set; }

        /// <summary>Fields from an imported file that have no place in this model, kept verbatim.</summary>
        public JsonElement? Extensions { get; internal set; }

        /// <summary>How many features <see cref="Remaining"/> would give.</summary>
        public int RemainingCount(bool includeFailed) => Pending + (includeFailed ? _retryable : 0);

        public BatchStatus Status
        {
            get
            {
                if (Completed + Skipped == Total) return BatchStatus.Completed;
                if (RemainingCount(includeFailed: true) == 0) return BatchStatus.CompletedWithFailures;
                if (IsSuspended) return BatchStatus.Suspended;
                if (Pending == Total) return BatchStatus.Pending;
                return BatchStatus.Running;
            }
        }

        /// <summary>Properties written by a newer minor schema version, kept verbatim on rewrite.</summary>
        internal Dictionary<string, JsonElement>? UnknownProperties { get; set; }

        /// <summary>Settings written by a newer minor schema version, kept verbatim on rewrite.</summary>
        internal Dictionary<string, JsonElement>? UnknownSettings { get; set; }

        /// <summary>
        /// Creates a new batch, refusing empty, over-long, malformed or duplicate feature names, bad
        /// settings, and dependencies on unknown features or in a cycle.
        /// </summary>
        public static Batch Create(string batchId, BatchDefinition definition, DateTime utcNow, SchemaVersion schemaVersion)
        {
            Batches.BatchId.Validate(batchId);
            CheckName("batch name", definition.Name, StateErrorIds.InvalidBatchName);
            definition.Settings.Validate();

            var features = new List<Feature>(definition.Features.Count);
            var seen = new Dictionary<string, int>(definition.Features.Count, StringComparer.Ordinal);
            for (int i = 0; i < definition.Features.Count; i++)
            {
                string name = definition.Features[i];
                CheckName("feature name", name, position: i + 1);
                if (seen.TryGetValue(name, out int first))
                    throw new InvalidBatchDefinitionException(StateErrorIds.DuplicateFeature, $"Feature '{name}' appears twice (items {first + 1} and {i + 1}); feature names must be unique within a batch.");
                seen.Add(name, i);
                features.Add(new Feature(name, i));
            }
            var batch = new Batch(batchId, definition.Name, utcNow, utcNow, definition.Settings, schemaVersion, features);
            batch.SetDependencies(definition.Dependencies);
            return batch;
        }

        /// <summary>Adds new features at the end, Pending (names it has already are skipped); returns those added.</summary>
        internal List<Feature> AddFeatures(IEnumerable<string> names)
        {
            var added = new List<Feature>();
            foreach (string name in names)
            {
                CheckName("feature name", name);
                if (_byName.ContainsKey(name)) continue;
                var feature = new Feature(name, _features.Count);
                _features.Add(feature);
                _byName.Add(name, feature);
                Count(feature, +1);
                added.Add(feature);
            }
            return added;
        }

        public Feature? Find(string featureName) => _byName.TryGetValue(featureName, out var feature) ? feature : null;

        /// <summary>
        /// What is still to do, in batch order: pending features, and (unless excluded) failed ones
        /// with attempts left that are not permanent.
        /// </summary>
        public IEnumerable<Feature> Remaining(bool includeFailed)
        {
            foreach (var feature in _features)
            {
                if (feature.Status == FeatureStatus.Pending) yield return feature;
                else if (includeFailed && feature.IsRetryable(MaxAttempts)) yield return feature;
            }
        }

        /// <summary>
        /// <see cref="Remaining"/> in an order where every feature comes after what it depends on
        /// (and otherwise in batch order).
        /// </summary>
        public IReadOnlyList<Feature> RemainingInOrder(bool includeFailed)
        {
            var remaining = Remaining(includeFailed).ToList();
            if (remaining.All(f => f.DependsOn.Count == 0)) return remaining;
            return DependencyOrder.Sort(remaining);
        }

        /// <summary>Throws unless <paramref name="result"/> can be applied: known feature, final status.</summary>
        public Feature Check(FeatureResult result, string path)
        {
            var feature = Find(result.Feature) ?? throw new FeatureNotFoundException(BatchId, result.Feature, path);
            if (result.Status == FeatureStatus.Pending)
                throw new InvalidFeatureResultException($"'{result.Feature}' of batch '{BatchId}': a result must be Completed, Failed or Skipped, not Pending.");
            if (result.ContextTokens < 0)
                throw new InvalidFeatureResultException($"'{result.Feature}' of batch '{BatchId}': context tokens cannot be negative ({result.ContextTokens}).");
            return feature;
        }

        /// <summary>Whether a failure with any of these exception types (an exception and its inner ones) is permanent for this batch.</summary>
        public bool IsPermanentErrorType(IEnumerable<string> typeNames) => typeNames.Any(IsPermanentErrorType);

        /// <summary>Whether a failure of this exception type is permanent for this batch.</summary>
        public bool IsPermanentErrorType(string? typeName)
        {
            if (string.IsNullOrEmpty(typeName)) return false;
            string shortName = typeName!.Substring(typeName.LastIndexOf('.') + 1);
            return Settings.PermanentErrorTypes.Any(t => string.Equals(t, typeName, StringComparison.OrdinalIgnoreCase) || string.Equals(t, shortName, StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>
        /// Checks a result before it is written and completes what the batch decides about it: a
        /// failure of a permanent error type is permanent; any other failure gets its retry time.
        /// </summary>
        public FeatureResult Prepare(FeatureResult result, DateTime utcNow, string path)
        {
            var feature = Check(result, path);
            // Fencing: only the newest claim's token counts, and never on a finished feature.
            if (result.ClaimToken is long token)
            {
                bool finished = feature.Status == FeatureStatus.Completed || feature.Status == FeatureStatus.Skipped;
                if (finished || token != feature.ClaimToken)
                    throw new ClaimLostException(BatchId, feature.Name, token, finished ? feature.Status.ToString() : null, feature.ClaimedBy?.ToString(), feature.ClaimToken, finished ? feature.UpdatedAt : feature.ClaimedAt, path);
            }
            if (result.Status == FeatureStatus.Failed && feature.Status == FeatureStatus.Completed)
                throw new FeatureAlreadyCompletedException(BatchId, feature.Name, feature.CompletedAt, path);
            if (result.Status == FeatureStatus.Failed)
            {
                result.Permanent |= IsPermanentErrorType(result.ErrorTypes);
                if (!result.Permanent) result.RetryAt = Backoff.RetryAt(Settings, feature.Attempts + 1, utcNow);
            }
            return result;
        }

        /// <summary>
        /// Whether a feature should be handed out now: not when it is done (another worker finished
        /// it meanwhile), when the batch is suspended, when its retry backoff has not passed or a
        /// feature it depends on is not done yet. When a dependency failed for good (or was itself
        /// skipped for that), it is <see cref="ReadinessKind.Blocked"/>, with the skip to record.
        /// </summary>
        public Readiness ReadinessOf(Feature feature, bool includeFailed, DateTime utcNow)
        {
            bool todo = feature.Status == FeatureStatus.Pending || (includeFailed && feature.IsRetryable(MaxAttempts));
            if (!todo) return Readiness.Done;
            if (IsSuspended) return Readiness.Suspended;
            if (feature.Status == FeatureStatus.Failed && feature.RetryAt > utcNow) return Readiness.Waiting(feature.RetryAt);
            foreach (string on in feature.DependsOn)
            {
                var dependency = Find(on)!;
                if (dependency.FailedForGood(MaxAttempts) || dependency.IsBlocked)
                {
                    string reason = $"{Readiness.BlockedPrefix}'{on}' did not complete ({dependency.Status}: {dependency.LastError})";
                    return Readiness.Blocked(reason, new FeatureResult(feature.Name, FeatureStatus.Skipped, reason) { BlockedBy = on });
                }
                if (dependency.Status != FeatureStatus.Completed && dependency.Status != FeatureStatus.Skipped) return Readiness.Waiting(null);
            }
            return Readiness.Ready;
        }

        /// <summary>Applies one result in memory. Unknown features and non-final statuses are refused.</summary>
        public Feature Apply(FeatureResult result, DateTime utcNow, string path)
        {
            var feature = Check(result, path);
            Count(feature, -1);
            feature.Status = result.Status;
            feature.Attempts++;
            feature.UpdatedAt = utcNow;
            feature.CompletedAt = result.Status == FeatureStatus.Completed ? utcNow : (DateTime?)null;
            // A success clears the last error; a failure or skip records its message (the reason).
            feature.LastError = result.Status == FeatureStatus.Completed ? null : result.ErrorMessage;
            feature.Permanent = result.Status == FeatureStatus.Failed && result.Permanent;
            feature.RetryAt = result.Status == FeatureStatus.Failed ? result.RetryAt : null;
            feature.BlockedBy = result.Status == FeatureStatus.Skipped ? result.BlockedBy : null;
            if (result.Data.HasValue) feature.Data = result.Data;
            feature.EndClaim();
            Count(feature, +1);
            // Saturates rather than wrapping: a runaway count stays "over the limit", never negative.
            ContextTokens = result.ContextTokens > long.MaxValue - ContextTokens ? long.MaxValue : ContextTokens + result.ContextTokens;
            // The circuit breaker counts failures in a row; a success closes it, a skip leaves it.
            if (result.Status == FeatureStatus.Failed) ConsecutiveFailures++;
            else if (result.Status == FeatureStatus.Completed) ConsecutiveFailures = 0;
            Touch(utcNow);
            return feature;
        }

        /// <summary>The claim record's items for these features: each the next fencing token.</summary>
        internal List<ClaimItem> NextClaimItems(IReadOnlyList<Feature> features)
        {
            var items = new List<ClaimItem>(features.Count);
            long token = LastClaimToken;
            foreach (var feature in features) items.Add(new ClaimItem(feature.Name, ++token));
            return items;
        }

        /// <summary>Applies a claim: each feature held by <paramref name="worker"/> from <paramref name="at"/> until <paramref name="until"/>.</summary>
        internal void ApplyClaim(IReadOnlyList<ClaimItem> items, WorkerIdentity worker, DateTime at, DateTime until)
        {
            foreach (var item in items)
            {
                var feature = Find(item.Feature) ?? throw new FeatureNotFoundException(BatchId, item.Feature, string.Empty);
                feature.ClaimToken = item.Token;
                feature.ClaimedBy = worker;
                feature.ClaimedAt = at;
                feature.LeaseExpiresAt = until;
                if (item.Token > LastClaimToken) LastClaimToken = item.Token;
            }
        }

        /// <summary>Features whose claim by <paramref name="worker"/> holds at <paramref name="at"/>.</summary>
        internal int LiveClaimsOf(WorkerIdentity worker, DateTime at) => _features.Count(f => f.IsClaimedAt(at) && worker.Equals(f.ClaimedBy));

        /// <summary>A heartbeat: every claim of <paramref name="worker"/> still holding at <paramref name="at"/> now holds until <paramref name="until"/>. A claim that ran out stays lost.</summary>
        internal int ApplyRenewal(WorkerIdentity worker, DateTime at, DateTime until)
        {
            int renewed = 0;
            foreach (var feature in _features)
            {
                if (!feature.IsClaimedAt(at) || !worker.Equals(feature.ClaimedBy)) continue;
                if (until > feature.LeaseExpiresAt) feature.LeaseExpiresAt = until;
                renewed++;
            }
            return renewed;
        }

        /// <summary>Claims of <paramref name="worker"/> that a release would end: on these features (null: all), held or run out, not taken by another since.</summary>
        internal List<string> ReleasableBy(WorkerIdentity worker, IReadOnlyCollection<string>? features)
        {
            var candidates = features == null ? _features : features.Select(Find).OfType<Feature>();
            return candidates.Where(f => worker.Equals(f.ClaimedBy)).Select(f => f.Name).ToList();
        }

        /// <summary>Ends the claims of <paramref name="worker"/> on these features (those another worker took since stay theirs).</summary>
        internal void ApplyRelease(WorkerIdentity worker, IReadOnlyCollection<string> features)
        {
            foreach (string name in features)
            {
                var feature = Find(name);
                if (feature != null && worker.Equals(feature.ClaimedBy)) feature.EndClaim();
            }
        }

        /// <summary>State read from a snapshot: the last token given out.</summary>
        internal void RestoreClaims(long lastClaimToken) => LastClaimToken = lastClaimToken;

        /// <summary>Closes the circuit breaker (Resume-BatchState -Reset).</summary>
        public void ResetBreaker(DateTime utcNow)
        {
            ConsecutiveFailures = 0;
            Touch(utcNow);
        }

        /// <summary>Records a clear of the context budget and starts the count again.</summary>
        public void ResetContext(DateTime utcNow)
        {
            _contextClears.Add(new ContextClear(utcNow, ContextTokens));
            ContextTokens = 0;
            Touch(utcNow);
        }

        internal void RecordCheckpoint(DateTime utcNow)
        {
            CheckpointCount++;
            LastCheckpointAt = utcNow;
        }

        /// <summary>State read from a snapshot (not derivable from the features alone).</summary>
        internal void Restore(long contextTokens, IEnumerable<ContextClear> clears, int consecutiveFailures, int checkpointCount, DateTime? lastCheckpointAt)
        {
            ContextTokens = contextTokens;
            _contextClears.AddRange(clears);
            ConsecutiveFailures = consecutiveFailures;
            CheckpointCount = checkpointCount;
            LastCheckpointAt = lastCheckpointAt;
        }

        /// <summary>Sets who depends on whom, refusing unknown names and cycles.</summary>
        internal void SetDependencies(IReadOnlyDictionary<string, IReadOnlyList<string>> dependencies)
        {
            foreach (var pair in dependencies)
            {
                var feature = Find(pair.Key) ?? throw new InvalidBatchDefinitionException(StateErrorIds.UnknownDependency, $"The dependencies name '{pair.Key}', which is not a feature of the batch.");
                foreach (string on in pair.Value)
                {
                    if (Find(on) == null) throw new InvalidBatchDefinitionException(StateErrorIds.UnknownDependency, $"'{pair.Key}' depends on '{on}', which is not a feature of the batch.");
                    if (on == pair.Key) throw new InvalidBatchDefinitionException(StateErrorIds.DependencyCycle, $"'{on}' depends on itself.");
                }
                feature.DependsOn = pair.Value.Distinct(StringComparer.Ordinal).ToArray();
            }
            var cycle = DependencyOrder.FindCycle(_features, name => Find(name)!);
            if (cycle != null)
                throw new InvalidBatchDefinitionException(StateErrorIds.DependencyCycle, "The dependencies form a cycle: " + string.Join(" -> ", cycle) + ".");
        }

        /// <summary>
        /// Any Unicode text that survives UTF-8, 1 to 1024 characters, not only white space (a blank
        /// line of a list is not a work item). <paramref name="position"/> (from 1) says which item of a list it is.
        /// </summary>
        internal static void CheckName(string what, string? name, string errorId = StateErrorIds.InvalidFeatureName, int? position = null)
        {
            string item = position.HasValue ? $" (item {position.Value})" : string.Empty;
            if (string.IsNullOrEmpty(name))
                throw new InvalidBatchDefinitionException(errorId, $"A {what} cannot be empty{item}.");
            if (string.IsNullOrWhiteSpace(name))
                throw new InvalidBatchDefinitionException(errorId, $"A {what} cannot be only white space{item}: '{name}'.");
            int characters = 0;
            for (int i = 0; i < name!.Length; i++)
            {
                char c = name[i];
                if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1])) i++;
                else if (char.IsSurrogate(c))
                    throw new InvalidBatchDefinitionException(errorId, $"The {what} '{name}' contains a broken UTF-16 surrogate at position {i}, which cannot be stored as UTF-8.");
                characters++;
            }
            if (characters > MaxNameLength)
                throw new InvalidBatchDefinitionException(errorId, $"The {what} '{name.Substring(0, 40)}...' has {characters} characters; at most {MaxNameLength} are allowed.");
        }

        internal void Touch(DateTime utcNow)
        {
            if (utcNow > UpdatedAt) UpdatedAt = utcNow;
        }

        private void Count(Feature feature, int delta)
        {
            _counts[(int)feature.Status] += delta;
            if (feature.IsRetryable(MaxAttempts)) _retryable += delta;
        }
    }
}
