using System;
using System.Linq;
using System.Management.Automation;
using System.Net;
using StateCmdlets.Completion;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.Import;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Copies batches from their store to another (a state directory, or a PostgreSQL database), with
    /// everything recorded: results, attempts, errors, data, retry times, dependencies, settings, the
    /// context budget and counters. Claims stay behind: they belong to the workers of the source.
    /// The source is only read; with Remove-BatchState after it, the copy is a move.
    /// </summary>
    [Cmdlet(VerbsCommon.Copy, "BatchState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BatchState))]
    public sealed class CopyBatchStateCommand : LockingBatchCmdletBase
    {
        private readonly Confirmation _confirmation;
        private IBatchStore? _destination;

        public CopyBatchStateCommand() => _confirmation = new Confirmation(this);

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string[] BatchId { get; set; } = new string[0];

        /// <summary>The store to copy to: a PostgreSQL connection string or postgresql:// URI, or a folder.</summary>
        [Parameter(Mandatory = true, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; } = string.Empty;

        /// <summary>A user and password for a PostgreSQL destination (-Credential is the source's).</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? DestinationCredential { get; set; }

        /// <summary>Replace a batch with the same id in the destination (asking first when it holds recorded results).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Emit each copy, as the destination now holds it.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var source = CurrentStore;
            var destination = DestinationStore();
            foreach (string id in BatchId)
            {
                if (source.Location == destination.Location)
                {
                    WriteError(ErrorRecordFactory.InvalidArgument("InvalidDestination",
                        $"Batch '{id}' is in {source.Location} already: -Destination names the store it is copied from. Name another store.", id));
                    continue;
                }
                Batch? batch = null;
                if (!TryRun(() => batch = source.Load(id), id)) continue;
                string target = id;
                bool exists = false;
                if (!TryRun(() => { target = destination.Address(id); exists = destination.Exists(id); }, id)) continue;
                // Replacing recorded work is High impact: it asks at the default $ConfirmPreference.
                string? replaced = Force && exists ? ReplacedWork.Describe(destination, id) : null;
                int results = batch!.Features.Sum(f => f.Attempts);
                string action = $"Copy batch '{id}' ({batch.Total} feature(s), {results} recorded result(s)) from {source.Location}"
                    + (replaced != null ? $", replacing the batch with this id there ({replaced})"
                        : !exists ? string.Empty : Force ? ", replacing the batch with this id there" : " (a batch with this id is there: without -Force this fails with BatchAlreadyExists)");
                if (!_confirmation.ShouldProcess(target, action, replaced != null ? ConfirmImpact.High : ConfirmImpact.Low)) continue;
                var copy = ImportedBatch.CopyOf(batch, source.Address(id));
                Batch? copied = null;
                if (TryRun(() => copied = destination.Import(copy, Force, Cancellation), id) && PassThru) WriteObject(new BatchState(copied!, destination));
            }
        }

        /// <summary>The destination, opened once: a database with -DestinationCredential, or a folder through the provider.</summary>
        private IBatchStore DestinationStore()
        {
            if (_destination != null) return _destination;
            if (StoreLocator.KindOf(Destination) == StoreKind.File)
            {
                if (DestinationCredential != null)
                    ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidStore",
                        "-DestinationCredential is for a PostgreSQL destination, and -Destination names a folder. Leave -DestinationCredential out.", nameof(DestinationCredential)));
                return _destination = StoreAt(ResolveDirectory(Destination));
            }
            try
            {
                var credential = DestinationCredential == null || DestinationCredential == PSCredential.Empty ? null : new NetworkCredential(DestinationCredential.UserName, DestinationCredential.Password);
                return _destination = PostgreSqlStores.Open(Destination, null, credential, EffectiveLockTimeout, TraceQuietly, "-Destination");
            }
            catch (StateException e)
            {
                ThrowTerminatingError(ToErrorRecord(e, "-Destination"));
                throw; // not reached: ThrowTerminatingError throws
            }
        }
    }
}
