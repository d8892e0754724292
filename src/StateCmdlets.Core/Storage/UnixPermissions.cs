using System;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// A file's Unix permission bits, read through the runtime's own File.GetUnixFileMode (.NET 7
    /// and later, so PowerShell 7.3 and later): netstandard2.0 has no such API, and the layout of
    /// struct stat differs by platform and architecture.
    /// </summary>
    internal static class UnixPermissions
    {
        /// <summary>rwx for owner, group and others (0777): set-id and sticky bits mean nothing on a data file.</summary>
        internal const int PermissionBits = 0x1FF;

        /// <summary>Any write bit (0222).</summary>
        internal const int AnyWrite = 0x92;

        private static readonly MethodInfo? GetMode = typeof(File).GetMethod("GetUnixFileMode", new[] { typeof(string) });

        /// <summary>The permission bits of an existing file; null when it is missing or the runtime cannot tell.</summary>
        internal static int? Of(string path)
        {
            if (GetMode == null) return null;
            try
            {
                return Convert.ToInt32(GetMode.Invoke(null, new object[] { path }), CultureInfo.InvariantCulture) & PermissionBits;
            }
            catch (TargetInvocationException e) when (e.InnerException is FileNotFoundException || e.InnerException is DirectoryNotFoundException)
            {
                return null;
            }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }

        /// <summary>
        /// Read-only for this user: no write bit at all (refused for root too, whom the kernel would
        /// let write anything), or write permission denied by access(2).
        /// </summary>
        internal static bool IsReadOnly(string path)
        {
            int? mode = Of(path);
            if (mode.HasValue && (mode.Value & AnyWrite) == 0) return true;
            return !UnixNative.MayWrite(path);
        }
    }
}
