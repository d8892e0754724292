using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using StateCmdlets.Core;

namespace StateCmdlets
{
    /// <summary>
    /// What every StateCmdlets command shares, batch or state file: Ctrl+C cancelling every lock
    /// wait, core failures turned into non-terminating ErrorRecords, and the network-share warning.
    /// </summary>
    public abstract class CancellableCmdlet : PSCmdlet
    {
        private static readonly HashSet<string> WarnedFolders = new HashSet<string>(StringComparer.Ordinal);
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

        /// <summary>Cancelled by Ctrl+C (StopProcessing); every lock wait observes it.</summary>
        protected CancellationToken Cancellation => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>How a core failure is reported; state-file commands word their advice for files.</summary>
        protected virtual ErrorRecord ToErrorRecord(StateException exception, object? target) => ErrorRecordFactory.From(exception, target);

        /// <summary>Runs a core call; its failures become non-terminating errors, Ctrl+C stops the pipeline.</summary>
        protected bool TryRun(Action action, object? target = null)
        {
            try
            {
                action();
                return true;
            }
            catch (StateException e)
            {
                WriteError(ToErrorRecord(e, target));
                return false;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        /// <summary>
        /// The stores' tracing, as verbose records. Never an exception in the middle of a store
        /// operation: while Ctrl+C stops the pipeline, WriteVerbose throws, and what a command does
        /// on its way out (Resume-BatchState releasing the claims it did not hand out) must still be written.
        /// </summary>
        protected void TraceQuietly(string message)
        {
            try
            {
                WriteVerbose(message);
            }
            catch (PipelineStoppedException)
            {
                // Stopping: nobody reads verbose output any more.
            }
        }

        /// <summary>Once per folder and process: flock and fsync over NFS or SMB do not keep the guarantees.</summary>
        protected void WarnIfNetworkFileSystem(string? folder)
        {
            if (string.IsNullOrEmpty(folder)) return;
            lock (WarnedFolders)
            {
                if (!WarnedFolders.Add(folder!)) return;
            }
            string? type = Core.Storage.FileSystemKind.NetworkTypeOf(folder!);
            if (type != null)
                WriteWarning($"'{folder}' is on a network file system ({type}). Locking and durability there are only as good as the server's: lost updates are possible when several machines write. Prefer a local disk.");
        }
    }
}
