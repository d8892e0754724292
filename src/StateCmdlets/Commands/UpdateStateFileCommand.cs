using System;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Text.Json;
using StateCmdlets.Core.StateFiles;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Read-modify-write of a JSON state file under its cross-process lock: the script block gets
    /// the current document as $_ and changes it in place, or outputs a replacement. Parallel runs
    /// never lose each other's changes.
    /// </summary>
    [Cmdlet(VerbsData.Update, "StateFile", SupportsShouldProcess = true)]
    [OutputType(typeof(PSCustomObject), typeof(OrderedDictionary))]
    public sealed class UpdateStateFileCommand : LockingStateFileCmdletBase
    {
        private SchemaVersion? _version;

        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("LiteralPath", "PSPath")]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, Position = 1)]
        public ScriptBlock? ScriptBlock { get; set; }

        /// <summary>The document to start from when the file does not exist (default: an empty ordered hashtable).</summary>
        [Parameter]
        public object? InitialValue { get; set; }

        [Parameter]
        public SwitchParameter AsHashtable { get; set; }

        /// <summary>The schema version the script writes: a file of another major version is refused.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? SchemaVersion { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void BeginProcessing() => _version = VersionArgument.Parse(this, SchemaVersion, nameof(SchemaVersion));

        protected override void ProcessRecord()
        {
            foreach (string path in Path)
            {
                string? file = Paths.FileToWrite(path);
                if (file == null || !ShouldProcess(file, "Update state file")) continue;
                JsonElement written = default;
                // Any error in the block is StateUpdateFailed (non-terminating): the other files still get their turn.
                if (TryRun(() => written = Store.Update(file, current => Apply(current, file), _version, Cancellation), file) && PassThru)
                    WriteObject(PowerShellJson.FromJson(written, AsHashtable));
            }
        }

        /// <summary>Runs the script block on the current document (under the lock) and gives back the new one.</summary>
        private JsonElement Apply(JsonElement? current, string file)
        {
            object? document = current.HasValue ? PowerShellJson.FromJson(current.Value, AsHashtable, file) : Initial(file);
            var output = UserScriptBlock.Invoke(ScriptBlock!, document, (problem, error) => new StateUpdateFailedException(file, problem, error));
            if (output.Count > 1)
                throw new InvalidStateDocumentException(file, $"the script block output {output.Count} objects; it must output nothing (having changed $_ in place) or one object, the new document. Pipe other output to Out-Null.");
            object? next = output.Count == 1 ? output[0] : document;
            var json = PowerShellJson.ToJson(next, file, WriteWarning);
            if (json.ValueKind != JsonValueKind.Object)
                throw new InvalidStateDocumentException(file, output.Count == 1
                    ? $"the script block output {Describe(next)}, not a document; it must output nothing (having changed $_ in place) or one object (a hashtable or PSCustomObject). Pipe other output to Out-Null."
                    : $"the document is {Describe(next)}, not an object.");
            // Written, it must read back the way this command reads it, or the next run would fail on it.
            string? unreadable = AsHashtable ? null : JsonToPowerShell.FindUnsupported(json, namesOnly: true);
            if (unreadable != null) throw new InvalidStateDocumentException(file, "the new document would not read back as PowerShell objects: " + unreadable);
            return json;
        }

        /// <summary>
        /// -InitialValue goes through JSON too, so $_ has the same shape whether the file existed or
        /// not. Without it: an empty ordered hashtable (keys ignore case, as [ordered]@{}), which takes
        /// new keys, so { $_.Runs++ } works on the first run too; a PSCustomObject would not.
        /// </summary>
        private object Initial(string file)
        {
            if (InitialValue != null) return PowerShellJson.FromJson(PowerShellJson.ToJson(InitialValue, file, WriteWarning), AsHashtable, file) ?? new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            return new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        }

        private static string Describe(object? value)
        {
            object? inner = value is PSObject wrapped ? wrapped.BaseObject : value;
            return inner == null ? "$null" : "a " + inner.GetType().Name;
        }
    }
}
