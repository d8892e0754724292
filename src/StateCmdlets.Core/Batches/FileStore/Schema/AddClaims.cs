using System.Text.Json.Nodes;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore.Schema
{
    /// <summary>
    /// 1.2.0 -> 1.3.0: claims (a lease setting, the last fencing token given out, and per feature its
    /// token and current claim), and blockedBy, which says by type what 1.2.0 said only in a skip's
    /// reason ("Skipped because 'x' did not complete (...)"). Nothing was ever claimed before.
    /// </summary>
    internal sealed class AddClaims : IMigrationStep
    {
        public SchemaVersion From => new SchemaVersion(1, 2, 0);

        public SchemaVersion To => new SchemaVersion(1, 3, 0);

        public string Description => "1.2.0 to 1.3.0 adds claims for several workers on one batch (a 60 s lease setting, fencing tokens, no claim held yet) and marks features skipped because a dependency failed (blockedBy)";

        public JsonObject Apply(JsonObject document)
        {
            var settings = document["settings"] as JsonObject ?? new JsonObject();
            document["settings"] = settings;
            settings["leaseSeconds"] ??= 60;
            document["claims"] ??= new JsonObject { ["lastToken"] = 0 };
            if (document["features"] is JsonArray features)
            {
                foreach (var item in features)
                {
                    if (!(item is JsonObject feature) || feature["blockedBy"] != null) continue;
                    if (feature["status"]?.GetValueKind() != System.Text.Json.JsonValueKind.String || (string?)feature["status"] != "Skipped") continue;
                    string? reason = feature["lastError"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string?)feature["lastError"] : null;
                    string? dependency = LegacyBlocking.DependencyNamedIn(reason);
                    if (dependency != null) feature["blockedBy"] = dependency;
                }
            }
            return document;
        }
    }
}
