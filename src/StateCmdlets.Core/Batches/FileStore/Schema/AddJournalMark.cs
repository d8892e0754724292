using System.Text.Json.Nodes;

using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore.Schema
{
    /// <summary>
    /// 1.0.0 -> 1.1.0: snapshots gain the journal mark (journalGeneration, journalSequence).
    /// A 1.0.0 file never had a journal, so it migrates to "no generation, sequence 0".
    /// </summary>
    internal sealed class AddJournalMark : IMigrationStep
    {
        public SchemaVersion From => new SchemaVersion(1, 0, 0);

        public SchemaVersion To => new SchemaVersion(1, 1, 0);

        public string Description => "1.0.0 to 1.1.0 adds journalSequence (results recorded from then on go to the journal)";

        public JsonObject Apply(JsonObject document)
        {
            document.Remove("journalGeneration");
            document["journalSequence"] = 0;
            return document;
        }
    }
}
