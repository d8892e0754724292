using System;
using System.IO;
using System.Runtime.InteropServices;

namespace StateCmdlets.Core.Tests.Support
{
    /// <summary>The permission bits of a file or folder (Unix only).</summary>
    public static class UnixMode
    {
        public static bool Applies => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        public static string Of(string path) =>
            OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException() : Convert.ToString((int)File.GetUnixFileMode(path), 8);

        /// <summary>chmod with the mode in octal, as in "644".</summary>
        public static void Set(string path, string octal)
        {
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octal, 8));
        }
    }
}
