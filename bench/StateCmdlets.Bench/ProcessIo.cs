using System;
using System.IO;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Bytes this process has handed to write syscalls (wchar in /proc/self/io): what a method
    /// asks the kernel to write, before the page cache rounds it up to whole blocks.
    /// </summary>
    internal static class ProcessIo
    {
        private const string SelfIo = "/proc/self/io";

        internal static bool Available => File.Exists(SelfIo);

        /// <summary>Current wchar, or null where /proc is missing (not Linux).</summary>
        internal static long? WrittenBytes() => Available ? ParseWchar(File.ReadAllText(SelfIo)) : null;

        /// <summary>The wchar field of a /proc/&lt;pid&gt;/io text.</summary>
        internal static long? ParseWchar(string ioText)
        {
            foreach (string line in ioText.Split('\n'))
            {
                if (!line.StartsWith("wchar:", StringComparison.Ordinal)) continue;
                return long.Parse(line.Substring("wchar:".Length).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
            return null;
        }
    }
}
