using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.StateFiles;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Upgrades batch files written by older versions to the current schema, after an fsynced
    /// backup of each original. Files from a newer major version are refused and left alone.
    /// With -Step, migrates any JSON state file instead, through the user's own steps.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "StateMigration", DefaultParameterSetName = DirectorySet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(MigrationOutcome))]
    public sealed class InvokeStateMigrationCommand : LockingBatchCmdletBase
    {
        private const string DirectorySet = "Directory";
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";
        private const string BatchSet = "Batch";
        private const string StepPathSet = "StepPath";
        private const string StepLiteralPathSet = "StepLiteralPath";

        private readonly Confirmation _confirmation;
        private List<(SchemaVersion From, ScriptBlock Block)>? _steps;
        private SchemaVersion? _target;
        private CoreCalls? _stateFileCalls;

        public InvokeStateMigrationCommand() => _confirmation = new Confirmation(this);

        /// <summary>Core calls on state files (-Step): their errors carry the advice for files.</summary>
        private CoreCalls StateFileCalls => _stateFileCalls ??= new CoreCalls(this, Cancellation, ErrorRecordFactory.FromStateFile);

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = StepPathSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = StepLiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        /// <summary>Batches from Get-BatchState: their snapshot files are migrated.</summary>
        [Parameter(Mandatory = true, ParameterSetName = BatchSet, ValueFromPipeline = true)]
        public BatchState? InputObject { get; set; }

        /// <summary>
        /// Migration steps for state files (not batches): from-version = script block. A step gets
        /// the document as $_ and its first argument, an ordered hashtable, changes it in place and
        /// outputs one thing only: the version it is now in.
        /// </summary>
        [Parameter(Mandatory = true, ParameterSetName = StepPathSet)]
        [Parameter(Mandatory = true, ParameterSetName = StepLiteralPathSet)]
        [ValidateNotNullOrEmpty]
        public IDictionary? Step { get; set; }

        /// <summary>The version the steps lead to: files already in it (or a newer minor) are current.</summary>
        [Parameter(ParameterSetName = StepPathSet)]
        [Parameter(ParameterSetName = StepLiteralPathSet)]
        [ValidateNotNullOrEmpty]
        public string? TargetVersion { get; set; }

        /// <summary>Migrate without asking for confirmation.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (Step == null) return;
            _steps = ReadSteps(Step);
            _target = VersionArgument.Parse(this, TargetVersion, nameof(TargetVersion));
            // Rules the steps break on their own (two steps from one version, a target behind them) stop here.
            try { _ = Migration(string.Empty); }
            catch (StateException e) { ThrowTerminatingError(ErrorRecordFactory.FromStateFile(e, Step)); }
        }

        protected override void ProcessRecord()
        {
            if (_steps != null)
            {
                MigrateStateFiles();
                return;
            }
            foreach (var (store, id) in Targets())
            {
                string address = store.Address(id);
                MigrationOutcome? inspected = null;
                // Listing the state directory skips another program's JSON file; a file named is reported.
                if (!TryRun(() => inspected = store.InspectVersion(id), address, ParameterSetName == DirectorySet ? SkipNotABatch : null)) continue;
                if (inspected!.Action == MigrationAction.UpToDate)
                {
                    WriteObject(inspected);
                    continue;
                }
                string action = $"Migrate from schema {inspected.FromVersion} to {inspected.ToVersion} (original kept as {inspected.BackupPath}): "
                    + string.Join("; ", store.DescribeMigration(inspected.FromVersion));
                if (!Approved(address, action)) continue;
                TryRun(() => WriteObject(store.Migrate(id, Cancellation)), address);
            }
        }

        /// <summary>
        /// State files through the user's steps: inspect (the steps run on a copy in memory), ask
        /// (-WhatIf and -Confirm say what would change), then migrate under the lock.
        /// </summary>
        private void MigrateStateFiles()
        {
            var store = new StateFileStore(new StateFileOptions { LockTimeout = EffectiveLockTimeout, Trace = TraceQuietly });
            foreach (string file in ResolvedFiles())
            {
                var migration = Migration(file);
                StateFileMigrationPlan? plan = null;
                if (!StateFileCalls.TryRun(() => plan = store.InspectMigration(file, migration), file)) continue;
                if (plan!.Action == MigrationAction.UpToDate)
                {
                    WriteObject(plan.ToOutcome());
                    continue;
                }
                if (!Approved(file, Describe(plan))) continue;
                StateFileCalls.TryRun(() => WriteObject(store.Migrate(file, migration, Cancellation)), file);
            }
        }

        /// <summary>
        /// The operation as -WhatIf and -Confirm show it (the file is the target): "Migrate from
        /// schema 1.0.0 to 1.1.0, which would remove B, add C, change A.X; original kept as F.v1.0.0.bak".
        /// </summary>
        private static string Describe(StateFileMigrationPlan plan)
        {
            string changes = plan.Changes == null || plan.Changes.Count == 0 ? "which would change nothing but schemaVersion" : "which would " + plan.Changes.Describe();
            return $"Migrate from schema {plan.FromVersion} to {plan.ToVersion}, {changes}; original kept as {plan.BackupPath}";
        }

        /// <summary>The steps for one file (they name it in their errors).</summary>
        private StateFileMigration Migration(string file) =>
            new StateFileMigration(_steps!.Select(s => new StateFileStep(s.From, document => RunStep(s.From, s.Block, document, file))), _target);

        /// <summary>
        /// One step on one document: an ordered hashtable the step changes in place; its only output
        /// is the new version. Anything else is refused, so stray output cannot pass for a version,
        /// and any error in the step stops it, so a half-done step is never written.
        /// </summary>
        private static StateFileStepResult RunStep(SchemaVersion from, ScriptBlock block, JsonElement document, string file)
        {
            object? doc = PowerShellJson.FromJson(document, true, file);
            Collection<PSObject> output = UserScriptBlock.Invoke(block, doc,
                (problem, error) => new InvalidMigrationStepException(file, $"the step from {from} failed: {problem}", error));
            object? only = output.Count == 1 ? output[0]?.BaseObject : null;
            if (only == null || !SchemaVersion.TryParse(Convert.ToString(only, System.Globalization.CultureInfo.InvariantCulture), out var next))
            {
                string got = output.Count == 1 ? (only == null ? "$null" : $"'{only}'") : $"{output.Count} objects";
                throw new InvalidMigrationStepException(file,
                    $"the step from {from} output {got}; a step changes $_ (its document) in place and outputs one thing only, the new version string such as '1.1.0'. Pipe other output to Out-Null.");
            }
            try
            {
                return new StateFileStepResult(PowerShellJson.ToJson(doc), next);
            }
            catch (JsonConversionException e)
            {
                throw new InvalidMigrationStepException(file, $"the step from {from} left a document that cannot be written: {e.Message}", e);
            }
        }

        private List<(SchemaVersion From, ScriptBlock Block)> ReadSteps(IDictionary steps)
        {
            var list = new List<(SchemaVersion, ScriptBlock)>();
            foreach (DictionaryEntry entry in steps)
            {
                string key = Convert.ToString(entry.Key is PSObject k ? k.BaseObject : entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                if (!SchemaVersion.TryParse(key, out var from))
                    ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidMigrationStep", $"-Step key '{key}' is not a major.minor.patch version: each key is the version its step starts from.", key));
                var block = (entry.Value is PSObject v ? v.BaseObject : entry.Value) as ScriptBlock;
                if (block == null)
                    ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidMigrationStep", $"-Step '{key}' is not a script block: each step is {{ param($doc) <change $doc>; '<new version>' }}.", key));
                list.Add((from, block!));
            }
            return list;
        }

        /// <summary>
        /// ShouldProcess at ConfirmImpact High, except that -Force asks nothing: -WhatIf and an
        /// explicit -Confirm still win, and -Confirm:$false or $ConfirmPreference = 'None' go ahead.
        /// </summary>
        private bool Approved(string target, string action) =>
            _confirmation.ShouldProcess(target, action, Force ? ConfirmImpact.None : ConfirmImpact.High);

        /// <summary>The batches to migrate, each with the store that holds it.</summary>
        private IEnumerable<(IBatchStore Store, string BatchId)> Targets()
        {
            if (ParameterSetName == BatchSet)
            {
                IBatchStore? store = null;
                if (InputObject != null && TryRun(() => { store = StoreOf(InputObject); store.Address(InputObject.BatchId); }, InputObject.Path))
                    yield return (store!, InputObject.BatchId);
                yield break;
            }

            if (ParameterSetName == DirectorySet)
            {
                var store = CurrentStore;
                IReadOnlyList<string> ids = new string[0];
                if (TryRun(() => ids = store.ListBatchIds(), store.Location))
                    foreach (string id in ids) yield return (store, id);
                yield break;
            }

            foreach (string file in ResolvedFiles())
            {
                IBatchStore? store = null;
                string id = string.Empty;
                if (TryRun(() => store = StoreForSnapshot(file, out id), file)) yield return (store!, id);
            }
        }

        /// <summary>A piped batch's own store: its state directory, or its database (a store opened in this session comes back with its connection).</summary>
        private IBatchStore StoreOf(BatchState batch) =>
            batch.StateDirectory != null ? StoreAt(batch.StateDirectory) : Open(new StoreChoice(StoreKind.PostgreSql, batch.Store, StoreOrigin.StoreParameter), "The piped batch's Store");

        /// <summary>
        /// The files -Path (wildcards) or -LiteralPath name. With -Step, what a wildcard matches
        /// skips folders and the module's own files next to state files (locks, backups, temp
        /// files, copies set aside): only state files are migrated.
        /// </summary>
        private IEnumerable<string> ResolvedFiles()
        {
            bool literal = ParameterSetName == LiteralPathSet || ParameterSetName == StepLiteralPathSet;
            foreach (string path in literal ? LiteralPath : Path)
                foreach (string file in Paths.Files(path, literal, onlyStateFiles: _steps != null))
                    yield return file;
        }
    }
}
