using System.Collections.Generic;
using System.Management.Automation;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Upgrades batch files written by older versions to the current schema, after an fsynced
    /// backup of each original. Files from a newer major version are refused and left alone.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "StateMigration", DefaultParameterSetName = DirectorySet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(MigrationOutcome))]
    public sealed class InvokeStateMigrationCommand : LockingStateCmdletBase
    {
        private const string DirectorySet = "Directory";
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";
        private const string BatchSet = "Batch";

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        /// <summary>Batches from Get-BatchState: their snapshot files are migrated.</summary>
        [Parameter(Mandatory = true, ParameterSetName = BatchSet, ValueFromPipeline = true)]
        public BatchState? InputObject { get; set; }

        /// <summary>Migrate without asking for confirmation.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            foreach (var files in Targets())
            {
                var store = new BatchStore(files.Directory, new BatchStoreOptions { LockTimeout = EffectiveLockTimeout, Trace = WriteVerbose });
                MigrationOutcome? inspected = null;
                if (!TryRun(() => inspected = store.InspectVersion(files.Id), files.Snapshot)) continue;
                if (inspected!.Action == MigrationAction.UpToDate)
                {
                    WriteObject(inspected);
                    continue;
                }
                string action = $"Migrate from schema {inspected.FromVersion} to {inspected.ToVersion} (original kept as {files.Backup(inspected.FromVersion)})";
                if (!Approved(files.Snapshot, action)) continue;
                TryRun(() => WriteObject(store.Migrate(files.Id, Cancellation)), files.Snapshot);
            }
        }

        /// <summary>
        /// ShouldProcess, except that -Force skips the confirmation ConfirmImpact.High would ask
        /// for; -WhatIf and an explicit -Confirm still win.
        /// </summary>
        private bool Approved(string target, string action)
        {
            bool whatIf = IsOn(MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? w : GetVariableValue("WhatIfPreference"));
            bool confirm = MyInvocation.BoundParameters.TryGetValue("Confirm", out var c) && IsOn(c);
            if (Force && !whatIf && !confirm) return true;
            return ShouldProcess(target, action);
        }

        private static bool IsOn(object? value) => value switch
        {
            SwitchParameter s => s.IsPresent,
            bool b => b,
            PSObject p => IsOn(p.BaseObject),
            _ => false,
        };

        private IEnumerable<BatchFiles> Targets()
        {
            if (ParameterSetName == BatchSet)
            {
                BatchFiles? batch = null;
                if (InputObject != null && TryRun(() => batch = new BatchFiles(InputObject.StateDirectory, InputObject.BatchId), InputObject.Path))
                    yield return batch!;
                yield break;
            }

            if (ParameterSetName == DirectorySet)
            {
                var store = Store;
                IReadOnlyList<string> ids = new string[0];
                if (TryRun(() => ids = store.ListBatchIds(), store.StateDirectory))
                    foreach (string id in ids) yield return store.Files(id);
                yield break;
            }

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
                foreach (string file in resolved)
                {
                    BatchFiles? files = null;
                    if (TryRun(() => files = BatchFiles.FromSnapshotPath(file), file)) yield return files!;
                }
            }
        }
    }
}
