using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace StateCmdlets.Completion
{
    /// <summary>Completes -Feature from the features of the batch -BatchId names.</summary>
    public sealed class FeatureNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string? batchId = fakeBoundParameters.Contains("BatchId") ? Convert.ToString(fakeBoundParameters["BatchId"]) : null;
            if (string.IsNullOrEmpty(batchId) || !Core.Batches.BatchId.IsValid(batchId)) return Enumerable.Empty<CompletionResult>();
            var batch = StateCompletion.SafeLoad(StateCompletion.StoreFor(fakeBoundParameters), batchId!);
            if (batch == null) return Enumerable.Empty<CompletionResult>();
            return StateCompletion.Matching(batch.Features.Select(f => f.Name), wordToComplete, "feature ");
        }
    }
}
