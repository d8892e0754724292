using System;

namespace StateCmdlets.Bench
{
    /// <summary>One timed cell of the table: a method at a batch size, over a number of updates.</summary>
    internal sealed class Measurement
    {
        internal Measurement(string method, int batchSize, int updates, TimeSpan elapsed, long? bytesWritten)
        {
            if (updates <= 0) throw new ArgumentOutOfRangeException(nameof(updates), "A measurement needs at least one update.");
            Method = method;
            BatchSize = batchSize;
            Updates = updates;
            Elapsed = elapsed;
            BytesWritten = bytesWritten;
        }

        internal string Method { get; }

        internal int BatchSize { get; }

        internal int Updates { get; }

        internal TimeSpan Elapsed { get; }

        /// <summary>wchar delta over the timed updates; null when it could not be read.</summary>
        internal long? BytesWritten { get; }

        internal double MeanMilliseconds => Elapsed.TotalMilliseconds / Updates;

        internal double UpdatesPerSecond => Updates / Elapsed.TotalSeconds;

        internal double? BytesPerUpdate => BytesWritten.HasValue ? (double)BytesWritten.Value / Updates : null;
    }
}
