using System;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// What a file looks like from outside, cheaply (one stat): its size and when it was last
    /// written. A file changed by anybody, replaced or restored, gets another stamp.
    /// </summary>
    internal readonly struct FileStamp : IEquatable<FileStamp>
    {
        public FileStamp(long length, long lastWriteTicks)
        {
            Length = length;
            LastWriteTicks = lastWriteTicks;
        }

        public long Length { get; }

        /// <summary>Last write time, UTC ticks (nanosecond-precise where the file system is).</summary>
        public long LastWriteTicks { get; }

        public bool Equals(FileStamp other) => Length == other.Length && LastWriteTicks == other.LastWriteTicks;

        public override bool Equals(object? obj) => obj is FileStamp other && Equals(other);

        public override int GetHashCode() => Length.GetHashCode() * 31 + LastWriteTicks.GetHashCode();

        public override string ToString() => $"{Length} bytes, written {new DateTime(LastWriteTicks, DateTimeKind.Utc):o}";
    }
}
