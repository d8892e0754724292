using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;

namespace StateCmdlets
{
    /// <summary>
    /// Runs a user's script block that changes a document (Update-StateFile's block, a migration
    /// step) so that any error in it stops it: a block that fails part-way must not have its
    /// half-changed document written.
    /// </summary>
    internal static class UserScriptBlock
    {
        /// <summary>
        /// Invokes <paramref name="block"/> with <paramref name="input"/> as $_ and its first
        /// argument, and $ErrorActionPreference = 'Stop' in its scope: a non-terminating error
        /// (Write-Error, a cmdlet's) or a statement-terminating one (a method that throws, a
        /// property that cannot be set) stops the block like a throw does. Any of them comes back
        /// as the exception <paramref name="fail"/> makes from the error's message.
        /// </summary>
        internal static Collection<PSObject> Invoke(ScriptBlock block, object? input, Func<string, Exception, Exception> fail)
        {
            var variables = new List<PSVariable>
            {
                new PSVariable("_", input),
                new PSVariable("ErrorActionPreference", ActionPreference.Stop),
            };
            try
            {
                return block.InvokeWithContext((Dictionary<string, ScriptBlock>?)null, variables, input);
            }
            catch (RuntimeException e) when (!(e is PipelineStoppedException))
            {
                throw fail(MessageOf(e), e);
            }
        }

        /// <summary>The error as the user would see it, not the "preference variable is set to Stop" wrapper around it.</summary>
        private static string MessageOf(RuntimeException e)
        {
            var record = e.ErrorRecord;
            string message = (record?.ErrorDetails?.Message ?? record?.Exception?.Message ?? e.Message).TrimEnd();
            var where = record?.InvocationInfo;
            if (where != null && where.ScriptLineNumber > 0)
                message = message.TrimEnd('.') + (string.IsNullOrEmpty(where.ScriptName) ? $" (at line {where.ScriptLineNumber})" : $" (at {where.ScriptName}:{where.ScriptLineNumber})");
            // It is followed by the cmdlet's own sentence.
            return message.Length > 0 && ".!?".IndexOf(message[message.Length - 1]) >= 0 ? message : message + ".";
        }
    }
}
