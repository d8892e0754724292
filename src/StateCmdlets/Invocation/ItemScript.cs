using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// Runs one item's script block in a PowerShell (a worker runspace's, or a nested one of the
    /// caller's runspace) as ForEach-Object runs it: $_ is the item's input object. Its warning,
    /// verbose, debug and information records are merged into its output, so they come back in
    /// the order it wrote them and reach the caller's streams (only the pipeline thread may write
    /// those); its errors stay in the error stream.
    /// </summary>
    internal static class ItemScript
    {
        // Variables set in a scope of the item's own first: dearer (a script per item), so only
        // where the block's scope cannot hold them otherwise (the caller's runspace).
        private const string InScope = @"param($__StateCmdletsItem, $__StateCmdletsBlock, $__StateCmdletsVariables)
foreach ($__StateCmdletsVariable in $__StateCmdletsVariables.GetEnumerator()) { $ExecutionContext.SessionState.PSVariable.Set($__StateCmdletsVariable.Key, $__StateCmdletsVariable.Value) }
ForEach-Object -InputObject $__StateCmdletsItem -Process $__StateCmdletsBlock 3>&1 4>&1 5>&1 6>&1";

        private static readonly PipelineResultTypes[] Merged = { PipelineResultTypes.Warning, PipelineResultTypes.Verbose, PipelineResultTypes.Debug, PipelineResultTypes.Information };

        /// <summary>
        /// Runs <paramref name="block"/> for <paramref name="job"/> in <paramref name="powerShell"/>
        /// (reused from item to item). <paramref name="scopeVariables"/>, when given, are set in a
        /// scope of the item's own; otherwise the block sees the variables of its runspace.
        /// </summary>
        internal static ItemRun Run(PowerShell powerShell, ItemJob job, ScriptBlock block, IDictionary? scopeVariables)
        {
            powerShell.Commands.Clear();
            if (scopeVariables != null)
            {
                powerShell.AddScript(InScope, useLocalScope: true).AddArgument(job.Input).AddArgument(block).AddArgument(scopeVariables);
            }
            else
            {
                powerShell.AddCommand("ForEach-Object").AddParameter("InputObject", job.Input).AddParameter("Process", block);
                var command = powerShell.Commands.Commands[0];
                foreach (var stream in Merged) command.MergeMyResults(stream, PipelineResultTypes.Output);
            }
            var output = new List<PSObject>();
            ErrorRecord? failure = null;
            ItemEnd end = ItemEnd.Completed;
            try
            {
                // Into a list of ours: what it wrote before a terminating error is kept too.
                powerShell.Invoke<PSObject>(null, output);
            }
            catch (PipelineStoppedException)
            {
                end = ItemEnd.Stopped;
            }
            catch (RuntimeException e)
            {
                end = ItemEnd.Failed;
                // ActionPreferenceStopException (an error under -ErrorAction Stop) carries the error itself.
                failure = e.ErrorRecord ?? new ErrorRecord(e, "ScriptBlockFailed", ErrorCategory.NotSpecified, job.Input);
            }
            if (end == ItemEnd.Completed && powerShell.InvocationStateInfo.State == PSInvocationState.Stopped) end = ItemEnd.Stopped;
            var errors = powerShell.Streams.Error.ReadAll();
            powerShell.Streams.ClearStreams();
            return new ItemRun(job, end, output, errors, failure);
        }
    }
}
