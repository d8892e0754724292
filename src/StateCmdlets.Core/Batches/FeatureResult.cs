using System.Text.Json;

namespace StateCmdlets.Core.Batches
{
    /// <summary>The outcome of one attempt at a feature, as a script reports it.</summary>
    public sealed class FeatureResult
    {
        public FeatureResult(string feature, FeatureStatus status, string? errorMessage = null, JsonElement? data = null)
        {
            Feature = feature;
            Status = status;
            ErrorMessage = errorMessage;
            Data = data;
        }

        public string Feature { get; }

        public FeatureStatus Status { get; }

        /// <summary>The error of a failure, or the reason for a skip.</summary>
        public string? ErrorMessage { get; }

        /// <summary>Replaces the feature's data when given; absent keeps what is there.</summary>
        public JsonElement? Data { get; }
    }
}
