using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace StateCmdlets.Completion
{
    /// <summary>Completes Get-BatchState -Name from the names of the batches in the store the command line names.</summary>
    public sealed class BatchNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var store = StateCompletion.StoreFor(fakeBoundParameters);
            var names = StateCompletion.SafeIds(store)
                .Take(StateCompletion.MaxBatchesRead)
                .Select(id => StateCompletion.SafeLoad(store, id)?.Name)
                .Where(name => name != null)
                .Select(name => name!);
            return StateCompletion.Matching(names, wordToComplete, "batch name ");
        }
    }
}
