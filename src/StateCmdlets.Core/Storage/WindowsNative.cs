using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace StateCmdlets.Core.Storage
{
    /// <summary>The Win32 calls the core makes itself: replace-with-write-through, LockFileEx and following links.</summary>
    internal static class WindowsNative
    {
        private const uint MOVEFILE_REPLACE_EXISTING = 0x1;
        private const uint MOVEFILE_WRITE_THROUGH = 0x8;
        private const uint LOCKFILE_FAIL_IMMEDIATELY = 0x1;
        private const uint LOCKFILE_EXCLUSIVE_LOCK = 0x2;
        private const uint FILE_SHARE_ALL = 0x7; // read, write, delete
        private const uint OPEN_EXISTING = 3;
        private const uint FILE_FLAG_BACKUP_SEMANTICS = 0x02000000; // lets CreateFile open a folder too
        private const int ERROR_FILE_NOT_FOUND = 2;
        private const int ERROR_PATH_NOT_FOUND = 3;
        private const int ERROR_ACCESS_DENIED = 5;
        private const int ERROR_SHARING_VIOLATION = 32;
        private const int ERROR_LOCK_VIOLATION = 33;
        private const int ERROR_IO_PENDING = 997;

        [StructLayout(LayoutKind.Sequential)]
        private struct Overlapped
        {
            public IntPtr Internal;
            public IntPtr InternalHigh;
            public uint Offset;
            public uint OffsetHigh;
            public IntPtr EventHandle;
        }

        [DllImport("kernel32.dll", EntryPoint = "MoveFileExW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool MoveFileEx(string existing, string replacement, uint flags);

        [DllImport("kernel32.dll", EntryPoint = "CreateFileW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern SafeFileHandle CreateFile(string name, uint access, uint share, IntPtr security, uint disposition, uint flags, IntPtr template);

        [DllImport("kernel32.dll", EntryPoint = "GetFinalPathNameByHandleW", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern uint GetFinalPathNameByHandle(SafeFileHandle file, System.Text.StringBuilder buffer, uint length, uint flags);

        [DllImport("kernel32.dll", SetLastError = true)]
        private static extern bool LockFileEx(SafeFileHandle file, uint flags, uint reserved, uint lengthLow, uint lengthHigh, ref Overlapped overlapped);

        [DllImport("kernel32.dll", SetLastError = true)]
        private static extern bool UnlockFileEx(SafeFileHandle file, uint reserved, uint lengthLow, uint lengthHigh, ref Overlapped overlapped);

        /// <summary>
        /// Rename over the target with write-through. Antivirus and indexers briefly hold files
        /// open, so sharing violations are retried for about two seconds.
        /// </summary>
        internal static void Replace(string source, string destination)
        {
            var deadline = DateTime.UtcNow.AddSeconds(2);
            int delay = 5;
            while (true)
            {
                if (MoveFileEx(source, destination, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return;
                int error = Marshal.GetLastWin32Error();
                bool transient = error == ERROR_ACCESS_DENIED || error == ERROR_SHARING_VIOLATION || error == ERROR_LOCK_VIOLATION;
                if (!transient || DateTime.UtcNow > deadline)
                    throw new IOException($"Could not replace '{destination}': {new Win32Exception(error).Message}", error);
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 100);
            }
        }

        /// <summary>
        /// Where a symbolic link (or junction) finally leads: the target is opened, following every
        /// link, and asked its own path. A link to nothing is <see cref="FileNotFoundException"/>.
        /// </summary>
        internal static string FinalPath(string path)
        {
            using (var handle = CreateFile(path, 0, FILE_SHARE_ALL, IntPtr.Zero, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, IntPtr.Zero))
            {
                if (handle.IsInvalid)
                {
                    int error = Marshal.GetLastWin32Error();
                    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND)
                        throw new FileNotFoundException($"'{path}' is a link whose target does not exist.");
                    throw new IOException($"Could not follow the link '{path}': {new Win32Exception(error).Message}", error);
                }
                var buffer = new System.Text.StringBuilder(512);
                uint length = GetFinalPathNameByHandle(handle, buffer, (uint)buffer.Capacity, 0);
                if (length >= buffer.Capacity)
                {
                    // Too small: length is the size needed, terminating null included.
                    buffer = new System.Text.StringBuilder((int)length + 1);
                    length = GetFinalPathNameByHandle(handle, buffer, (uint)buffer.Capacity, 0);
                }
                if (length == 0 || length >= buffer.Capacity)
                    throw new IOException($"Could not follow the link '{path}': {new Win32Exception(Marshal.GetLastWin32Error()).Message}");
                // The answer is \\?\C:\... or \\?\UNC\server\share\...: back to the usual forms.
                string final = buffer.ToString();
                if (final.StartsWith(@"\\?\UNC\", StringComparison.Ordinal)) return @"\\" + final.Substring(8);
                if (final.StartsWith(@"\\?\", StringComparison.Ordinal)) return final.Substring(4);
                return final;
            }
        }

        internal static bool TryLockExclusive(SafeFileHandle file, string path)
        {
            var overlapped = new Overlapped();
            if (LockFileEx(file, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, uint.MaxValue, uint.MaxValue, ref overlapped)) return true;
            int error = Marshal.GetLastWin32Error();
            if (error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING) return false;
            throw new IOException($"LockFileEx failed for '{path}': {new Win32Exception(error).Message}", error);
        }

        internal static void Unlock(SafeFileHandle file)
        {
            var overlapped = new Overlapped();
            UnlockFileEx(file, 0, uint.MaxValue, uint.MaxValue, ref overlapped);
        }
    }
}
