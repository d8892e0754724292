using System;
using System.Management.Automation;
using System.Threading;
using StateCmdlets.Core;

namespace StateCmdlets
{
    /// <summary>
    /// The one way a command runs a core call: a core failure becomes a non-terminating
    /// ErrorRecord (worded by the mapping the command chose: advice for batches, for state files,
    /// or for an import source), and Ctrl+C stops the pipeline.
    /// </summary>
    internal sealed class CoreCalls
    {
        private readonly Cmdlet _cmdlet;
        private readonly CancellationToken _stopping;
        private readonly Func<StateException, object?, ErrorRecord> _toErrorRecord;

        internal CoreCalls(Cmdlet cmdlet, CancellationToken stopping, Func<StateException, object?, ErrorRecord> toErrorRecord)
        {
            _cmdlet = cmdlet;
            _stopping = stopping;
            _toErrorRecord = toErrorRecord;
        }

        /// <summary>
        /// Runs <paramref name="action"/>; false after its failure was written as an error about
        /// <paramref name="target"/>, or dealt with by <paramref name="handled"/> (which returns true then).
        /// </summary>
        internal bool TryRun(Action action, object? target = null, Func<StateException, bool>? handled = null)
        {
            try
            {
                action();
                return true;
            }
            catch (StateException e)
            {
                if (handled == null || !handled(e)) _cmdlet.WriteError(_toErrorRecord(e, target));
                return false;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }
    }
}
