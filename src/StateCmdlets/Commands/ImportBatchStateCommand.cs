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
    public sealed class ImportBatchStateCommand : LockingStateCmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

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
            var store = Store;
            foreach (string file in SourceFiles())
            {
                IReadOnlyList<ImportedBatch>? batches = null;
                if (!TryRun(() => batches = store.ReadForImport(file), file)) continue;
                if (BatchId != null && batches!.Count > 1)
                {
                    WriteError(ErrorRecordFactory.InvalidArgument("InvalidBatchId",
                        $"'{file}' holds {batches.Count} batches; -BatchId can name only one. Import it without -BatchId to keep each batch's own id.", file));
                    continue;
                }
                foreach (var imported in batches!)
                {
                    if (BatchId != null) imported.BatchId = BatchId;
                    string action = $"Import {imported.FeatureCount} feature(s) from {imported.Format} '{file}' as batch '{imported.BatchId}'" + (Force ? ", replacing any batch with this id" : string.Empty);
                    if (!ShouldProcess(store.StateDirectory, action)) continue;
                    foreach (string warning in imported.Warnings) WriteWarning(warning);
                    Batch? batch = null;
                    if (TryRun(() => batch = store.Import(imported, Force, Cancellation), file))
                        WriteObject(new BatchState(batch!, store.Files(batch!.BatchId)));
                }
            }
        }

        private IEnumerable<string> SourceFiles()
        {
            foreach (string path in ParameterSetName == PathSet ? Path : LiteralPath)
            {
                List<string> resolved;
                try
                {
                    resolved = ParameterSetName == PathSet
                        ? new List<string>(GetResolvedProviderPathFromPSPath(path, out _))
                        : new List<string> { SessionState.Path.GetUnresolvedProviderPathFromPSPath(path) };
                }
                catch (ItemNotFoundException e)
                {
                    WriteError(new ErrorRecord(e, "StateFileNotFound", ErrorCategory.ObjectNotFound, path));
                    continue;
                }
                foreach (string file in resolved) yield return file;
            }
        }
    }
}
