using System.Collections.Generic;

namespace StateCmdlets.Bench
{
    /// <summary>Medians of the cold-start rounds, in ms of wall time from process start to exit.</summary>
    internal sealed class ColdStartReport
    {
        internal ColdStartReport(int rounds, double bareMilliseconds, IReadOnlyList<ColdStartRow> modules)
        {
            Rounds = rounds;
            BareMilliseconds = bareMilliseconds;
            Modules = modules;
        }

        internal int Rounds { get; }

        /// <summary>pwsh -NoProfile -NonInteractive -Command exit.</summary>
        internal double BareMilliseconds { get; }

        /// <summary>The module measured, then any baselines, in the order given.</summary>
        internal IReadOnlyList<ColdStartRow> Modules { get; }
    }

    /// <summary>One build of the module in a cold-start run.</summary>
    internal sealed class ColdStartRow
    {
        internal ColdStartRow(string label, double getMilliseconds, double resumeMilliseconds, double resumeInsideMilliseconds)
        {
            Label = label;
            GetMilliseconds = getMilliseconds;
            ResumeMilliseconds = resumeMilliseconds;
            ResumeInsideMilliseconds = resumeInsideMilliseconds;
        }

        internal string Label { get; }

        /// <summary>Import-Module and one Get-BatchState of a 10-feature batch.</summary>
        internal double GetMilliseconds { get; }

        /// <summary>Import-Module and the first Resume-BatchState of the 100,000-feature batch.</summary>
        internal double ResumeMilliseconds { get; }

        /// <summary>That Resume-BatchState alone, timed inside the pwsh (import not counted).</summary>
        internal double ResumeInsideMilliseconds { get; }
    }
}
