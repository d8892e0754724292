using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>What a result was checked against: the row changes under it if any of these did.</summary>
    internal readonly struct FeatureVersion
    {
        internal FeatureVersion(Feature feature)
        {
            Status = feature.Status;
            Attempts = feature.Attempts;
            ClaimToken = feature.ClaimToken;
        }

        internal FeatureStatus Status { get; }

        internal int Attempts { get; }

        internal long ClaimToken { get; }
    }
}
