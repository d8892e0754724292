using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// What one run of an item's script block left: how it ended, its output in order (with the
    /// warning, verbose, debug and information records it wrote among the objects), the
    /// non-terminating errors it wrote, and the terminating error that failed it.
    /// </summary>
    internal sealed class ItemRun
    {
        private static readonly IReadOnlyList<PSObject> NoOutput = new PSObject[0];
        private static readonly IReadOnlyList<ErrorRecord> NoErrors = new ErrorRecord[0];

        internal ItemRun(ItemJob job, ItemEnd end, IReadOnlyList<PSObject>? output = null, IReadOnlyList<ErrorRecord>? errors = null, ErrorRecord? failure = null)
        {
            Job = job;
            End = end;
            Output = output ?? NoOutput;
            Errors = errors ?? NoErrors;
            Failure = failure;
        }

        internal ItemJob Job { get; }

        internal ItemEnd End { get; }

        internal IReadOnlyList<PSObject> Output { get; }

        internal IReadOnlyList<ErrorRecord> Errors { get; }

        internal ErrorRecord? Failure { get; }

        /// <summary>The runner itself broke (a worker runspace that could not open): the run cannot go on.</summary>
        internal Exception? Fault { get; set; }
    }
}
