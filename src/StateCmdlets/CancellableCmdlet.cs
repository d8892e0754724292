using System;
using System.Management.Automation;
using System.Threading;
using StateCmdlets.Core;

namespace StateCmdlets
{
    /// <summary>
    /// What every StateCmdlets command shares, batch or state file, each job a collaborator:
    /// Ctrl+C cancelling every lock wait (a cancellation source disposed with the command), core
    /// calls whose failures become non-terminating ErrorRecords (<see cref="CoreCalls"/>), and
    /// -Path/-LiteralPath resolution (<see cref="ProviderPaths"/>).
    /// </summary>
    public abstract class CancellableCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private CoreCalls? _calls;
        private ProviderPaths? _paths;

        /// <summary>Cancelled by Ctrl+C (StopProcessing); every lock wait observes it.</summary>
        protected CancellationToken Cancellation => _stopping.Token;

        protected override void StopProcessing()
        {
            try { _stopping.Cancel(); }
            catch (ObjectDisposedException) { } // the command had already finished
        }

        /// <summary>How a core failure is reported; state-file commands word their advice for files.</summary>
        protected virtual ErrorRecord ToErrorRecord(StateException exception, object? target) => ErrorRecordFactory.From(exception, target);

        /// <summary>Runs core calls with this command's error wording.</summary>
        private protected CoreCalls Calls => _calls ??= new CoreCalls(this, Cancellation, ToErrorRecord);

        /// <summary>Resolves this command's -Path and -LiteralPath arguments.</summary>
        private protected ProviderPaths Paths => _paths ??= new ProviderPaths(this);

        /// <summary>Runs a core call; its failures become non-terminating errors, Ctrl+C stops the pipeline.</summary>
        protected bool TryRun(Action action, object? target = null, Func<StateException, bool>? handled = null) => Calls.TryRun(action, target, handled);

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
        protected void WarnIfNetworkFileSystem(string? folder) => NetworkFileSystemWarning.WarnOnce(this, folder);

        public void Dispose()
        {
            _stopping.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
