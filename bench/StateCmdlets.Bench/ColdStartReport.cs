namespace StateCmdlets.Bench
{
    /// <summary>Medians of the cold-start rounds, in ms of wall time from process start to exit.</summary>
    internal sealed class ColdStartReport
    {
        internal ColdStartReport(int rounds, double bareMilliseconds, double getMilliseconds, double resumeMilliseconds, double resumeInsideMilliseconds)
        {
            Rounds = rounds;
            BareMilliseconds = bareMilliseconds;
            GetMilliseconds = getMilliseconds;
            ResumeMilliseconds = resumeMilliseconds;
            ResumeInsideMilliseconds = resumeInsideMilliseconds;
        }

        internal int Rounds { get; }

        /// <summary>pwsh -NoProfile -NonInteractive -Command exit.</summary>
        internal double BareMilliseconds { get; }

        /// <summary>Import-Module and one Get-BatchState of a 10-feature batch.</summary>
        internal double GetMilliseconds { get; }

        /// <summary>Import-Module and the first Resume-BatchState of the 100,000-feature batch.</summary>
        internal double ResumeMilliseconds { get; }

        /// <summary>That Resume-BatchState alone, timed inside the pwsh (import not counted).</summary>
        internal double ResumeInsideMilliseconds { get; }
    }
}
