using System.Collections.Generic;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>What a journal holds: its generation and the records up to the first torn byte.</summary>
    internal sealed class JournalContents
    {
        internal string? Generation { get; set; }

        /// <summary>The journal format its header states (see <see cref="JournalCodec.Format"/>).</summary>
        internal int Format { get; set; } = JournalCodec.Format;

        internal long HeaderLength { get; set; }

        internal List<JournalRecord> Records { get; } = new List<JournalRecord>();

        /// <summary>Offset just past the last whole record: where the next record is written.</summary>
        internal long ValidLength { get; set; }

        /// <summary>Where a torn final write starts, if there is one.</summary>
        internal long? TornAt { get; set; }

        /// <summary>Just past the last non-zero byte: what a writer must clear after its record.</summary>
        internal long DirtyEnd { get; set; }

        /// <summary>The file's length, zero padding included.</summary>
        internal long Capacity { get; set; }
    }
}
