using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace StateCmdlets.Completion
{
    /// <summary>Completes -BatchId from the batches in the store the command line names.</summary>
    public sealed class BatchIdCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            StateCompletion.Matching(StateCompletion.SafeIds(StateCompletion.StoreFor(fakeBoundParameters)), wordToComplete, "batch ");
    }
}
