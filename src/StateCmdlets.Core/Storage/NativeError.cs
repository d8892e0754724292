using System;
using System.IO;

namespace StateCmdlets.Core.Storage
{
    /// <summary>Turns an errno from a platform call into the exception .NET code expects.</summary>
    internal static class NativeError
    {
        internal static Exception From(int errno, string call, string path)
        {
            string message = $"{call} failed for '{path}': errno {errno} ({Describe(errno)}).";
            switch (errno)
            {
                case UnixNative.ENOENT: return new FileNotFoundException(message, path);
                case UnixNative.EACCES:
                case 1 /* EPERM */: return new UnauthorizedAccessException(message);
                default: return new IOException(message, errno);
            }
        }

        private static string Describe(int errno)
        {
            switch (errno)
            {
                case 1: return "operation not permitted";
                case 2: return "no such file or directory";
                case 5: return "input/output error";
                case 13: return "permission denied";
                case 17: return "file exists";
                case 20: return "not a directory";
                case 21: return "is a directory";
                case 28: return "no space left on device";
                case 30: return "read-only file system";
                case 40: return "too many levels of symbolic links";
                case 122: return "disk quota exceeded";
                default: return "see errno(3)";
            }
        }
    }
}
