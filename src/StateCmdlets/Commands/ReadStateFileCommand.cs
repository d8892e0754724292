using System.Collections.Specialized;
using System.Management.Automation;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Reads JSON state files without a lock (every write replaces the file atomically, so a reader
    /// always sees a whole one) and emits each document as one object.
    /// </summary>
    [Cmdlet(VerbsCommunications.Read, "StateFile", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(PSCustomObject), typeof(OrderedDictionary))]
    public sealed class ReadStateFileCommand : StateFileCmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        /// <summary>JSON objects become ordered hashtables instead of PSCustomObjects.</summary>
        [Parameter]
        public SwitchParameter AsHashtable { get; set; }

        protected override void ProcessRecord()
        {
            bool literal = ParameterSetName == LiteralPathSet;
            foreach (string path in literal ? LiteralPath : Path)
            {
                foreach (string file in Paths.Files(path, literal, onlyStateFiles: true))
                {
                    // One document per file, an array too: with several files the caller can tell them apart.
                    TryRun(() => WriteObject(PowerShellJson.FromJson(Store.Read(file), AsHashtable, file), false), file);
                }
            }
        }
    }
}
