using System.Text.Json.Nodes;

using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore.Schema
{
    /// <summary>
    /// 1.1.0 -> 1.2.0: retries with backoff and permanent failures, the circuit breaker, the context
    /// budget, checkpoints and dependencies. Older files get the defaults, which behave as 1.1.0 did
    /// (no backoff); the breaker starts closed.
    /// </summary>
    internal sealed class AddRetryAndContext : IMigrationStep
    {
        public SchemaVersion From => new SchemaVersion(1, 1, 0);

        public SchemaVersion To => new SchemaVersion(1, 2, 0);

        public string Description => "1.1.0 to 1.2.0 adds settings for retry backoff, the circuit breaker, permanent error types and the context budget (defaults that behave as before), and fields for dependencies, checkpoints and context clears";

        public JsonObject Apply(JsonObject document)
        {
            var settings = document["settings"] as JsonObject ?? new JsonObject();
            document["settings"] = settings;
            settings["maxConsecutiveFailures"] ??= 5;
            settings["retryDelaySeconds"] ??= 0;
            settings["maxRetryDelaySeconds"] ??= 3600;
            settings["contextTokenLimit"] ??= 150000;
            settings["permanentErrorTypes"] ??= new JsonArray();
            document["context"] ??= new JsonObject { ["tokens"] = 0, ["clears"] = new JsonArray() };
            document["consecutiveFailures"] ??= 0;
            document["checkpoints"] ??= new JsonObject { ["count"] = 0 };
            return document;
        }
    }
}
