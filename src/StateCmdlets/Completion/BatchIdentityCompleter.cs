using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace StateCmdlets.Completion
{
    /// <summary>Completes Get-BatchState's positional -Identity from the ids and the names of the batches in the store the command line names.</summary>
    public sealed class BatchIdentityCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            new BatchIdCompleter().CompleteArgument(commandName, parameterName, wordToComplete, commandAst, fakeBoundParameters)
                .Concat(new BatchNameCompleter().CompleteArgument(commandName, parameterName, wordToComplete, commandAst, fakeBoundParameters))
                .GroupBy(c => c.CompletionText)
                .Select(g => g.First())
                .OrderBy(c => c.ListItemText, System.StringComparer.OrdinalIgnoreCase);
    }
}
