using System.Collections.Generic;
using System.Management.Automation;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Writes a document to a JSON state file: atomically (a temp file, fsynced, renamed over the
    /// old one) and under the file's lock. Like ConvertTo-Json, several piped objects make an array.
    /// </summary>
    [Cmdlet(VerbsData.Save, "StateFile", SupportsShouldProcess = true)]
    public sealed class SaveStateFileCommand : LockingStateFileCmdletBase
    {
        private readonly List<object?> _items = new List<object?>();
        private SchemaVersion? _version;

        [Parameter(Mandatory = true, Position = 0)]
        [Alias("LiteralPath", "PSPath")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
        [AllowNull]
        [AllowEmptyCollection]
        [AllowEmptyString]
        public object? InputObject { get; set; }

        /// <summary>Stamps the document (an object) with this schemaVersion.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SchemaVersion { get; set; }

        protected override void BeginProcessing() => _version = VersionArgument.Parse(this, SchemaVersion, nameof(SchemaVersion));

        protected override void ProcessRecord() => _items.Add(InputObject);

        protected override void EndProcessing()
        {
            object? document = _items.Count == 1 ? _items[0] : _items.ToArray();
            string? file = Paths.FileToWrite(Path);
            if (file == null || !ShouldProcess(file, "Save state file")) return;
            TryRun(() => Store.Save(file, PowerShellJson.ToJson(document, file, WriteWarning), _version, Cancellation), file);
        }
    }
}
