using System.Collections.Generic;
using System.Management.Automation;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.Import;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Creates a batch from a file another tool wrote: autonomous-dev's Python BatchStateManager, or
    /// a BatchState exported with ConvertTo-Json. The source file is only read.
    /// </summary>
    [Cmdlet(VerbsData.Import, "BatchState", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BatchState))]
    public sealed class ImportBatchStateCommand : LockingBatchCmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        private readonly Confirmation _confirmation;

        public ImportBatchStateCommand() => _confirmation = new Confirmation(this);

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        /// <summary>The id for the new batch; by default the source's own (batch_id or BatchId).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? BatchId { get; set; }

        /// <summary>Replace a batch with the same id.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var store = CurrentStore;
            foreach (string file in SourceFiles())
            {
                IReadOnlyList<ImportedBatch>? batches = null;
                if (!TryRun(() => batches = Core.Batches.Import.BatchImporter.ReadFile(file), file)) continue;
                if (BatchId != null && batches!.Count > 1)
                {
                    WriteError(ErrorRecordFactory.InvalidArgument("InvalidBatchId",
                        $"'{file}' holds {batches.Count} batches; -BatchId can name only one. Import it without -BatchId to keep each batch's own id.", file));
                    continue;
                }
                foreach (var imported in batches!)
                {
                    if (BatchId != null) imported.BatchId = BatchId;
                    bool exists = false;
                    if (!TryRun(() => exists = store.Exists(imported.BatchId), imported.BatchId)) continue;
                    // Replacing recorded work is High impact: it asks at the default $ConfirmPreference.
                    string? replaced = Force ? ReplacedWork.Describe(store, imported.BatchId) : null;
                    string action = $"Import {imported.FeatureCount} feature(s) from {imported.Format} '{file}' as batch '{imported.BatchId}'"
                        + (replaced != null ? $", replacing the existing batch with this id ({replaced})"
                            : !exists ? string.Empty : Force ? ", replacing the existing batch with this id" : " (a batch with this id exists: without -Force this fails with BatchAlreadyExists)");
                    if (!_confirmation.ShouldProcess(store.Location, action, replaced != null ? ConfirmImpact.High : ConfirmImpact.Low)) continue;
                    foreach (string warning in imported.Warnings) WriteWarning(warning);
                    Batch? batch = null;
                    if (TryRun(() => batch = store.Import(imported, Force, Cancellation), file))
                        WriteObject(new BatchState(batch!, store));
                }
            }
        }

        /// <summary>A source that does not read is the source's own problem: Repair-BatchState's advice does not apply to it.</summary>
        protected override ErrorRecord ToErrorRecord(Core.StateException exception, object? target)
        {
            var record = base.ToErrorRecord(exception, target);
            if (exception is Core.StateFileCorruptException && target is string source && exception.Path == source)
                record.ErrorDetails = new ErrorDetails(exception.Message)
                {
                    RecommendedAction = "The source file was only read, never changed. Correct it; for an exported BatchState, export it again with ConvertTo-Json -Depth 10.",
                };
            return record;
        }

        /// <summary>The files -Path (wildcards) or -LiteralPath name, each taken as it is.</summary>
        private IEnumerable<string> SourceFiles()
        {
            bool literal = ParameterSetName == LiteralPathSet;
            foreach (string path in literal ? LiteralPath : Path)
                foreach (string file in Paths.Files(path, literal, onlyStateFiles: false))
                    yield return file;
        }
    }
}
