using System;

namespace StateCmdlets.Bench
{
    /// <summary>One row of the concurrency table: a method with some writers, summed over its rounds.</summary>
    internal sealed class ConcurrencyRow
    {
        internal ConcurrencyRow(string group, string method, int writers, int results, TimeSpan elapsed, TimeSpan? cpu, long? bytesWritten, long? fsyncs)
        {
            if (results <= 0) throw new ArgumentOutOfRangeException(nameof(results), "A row needs at least one result.");
            Group = group;
            Method = method;
            Writers = writers;
            Results = results;
            Elapsed = elapsed;
            Cpu = cpu;
            BytesWritten = bytesWritten;
            Fsyncs = fsyncs;
        }

        /// <summary>Where it ran: threads of this process, a child pwsh, child processes.</summary>
        internal string Group { get; }

        internal string Method { get; }

        internal int Writers { get; }

        internal int Results { get; }

        /// <summary>Wall time from the start of the first writer to the end of the last.</summary>
        internal TimeSpan Elapsed { get; }

        /// <summary>CPU time (user + system) of the processes that wrote, over the timed run; null where unknown.</summary>
        internal TimeSpan? Cpu { get; }

        /// <summary>wchar delta over the timed run (all writers); null when it could not be read.</summary>
        internal long? BytesWritten { get; }

        /// <summary>fsyncs made, where counted; else null.</summary>
        internal long? Fsyncs { get; }

        internal double ResultsPerSecond => Results / Elapsed.TotalSeconds;

        internal double MeanMilliseconds => Elapsed.TotalMilliseconds / Results;

        internal double? CpuMillisecondsPerResult => Cpu.HasValue ? Cpu.Value.TotalMilliseconds / Results : null;

        internal double? BytesPerResult => BytesWritten.HasValue ? (double)BytesWritten.Value / Results : null;

        /// <summary>Results each fsync covered, on average.</summary>
        internal double? ResultsPerFsync => Fsyncs.HasValue && Fsyncs.Value > 0 ? (double)Results / Fsyncs.Value : null;

        /// <summary>Adds another round of the same method.</summary>
        internal ConcurrencyRow Plus(ConcurrencyRow other)
        {
            if (other.Method != Method || other.Writers != Writers) throw new ArgumentException("Only rounds of one method add up.", nameof(other));
            return new ConcurrencyRow(Group, Method, Writers, Results + other.Results, Elapsed + other.Elapsed,
                Cpu.HasValue && other.Cpu.HasValue ? Cpu + other.Cpu : null,
                BytesWritten.HasValue && other.BytesWritten.HasValue ? BytesWritten + other.BytesWritten : null,
                Fsyncs.HasValue && other.Fsyncs.HasValue ? Fsyncs + other.Fsyncs : null);
        }
    }
}
