using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>The SQL for "still to do" (pending, or failed with attempts left and not permanent), as <see cref="Batch.RemainingCount"/> counts it.</summary>
    internal static class Todo
    {
        /// <summary>Over the item table unaliased; needs @max_attempts.</summary>
        internal const string Sql = "status IN ('Pending', 'Failed') AND (status = 'Pending' OR (NOT permanent AND attempts < @max_attempts))";

        internal static bool Is(Feature feature, int maxAttempts) =>
            feature.Status == FeatureStatus.Pending || (feature.Status == FeatureStatus.Failed && !feature.Permanent && feature.Attempts < maxAttempts);
    }
}
