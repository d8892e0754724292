using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace StateCmdlets.Core.Storage
{
    /// <summary>The Win32 calls the core makes itself: replace-with-write-through and LockFileEx.</summary>
    internal static class WindowsNative
    {
        private const uint MOVEFILE_REPLACE_EXISTING = 0x1;
        private const uint MOVEFILE_WRITE_THROUGH = 0x8;
        private const uint LOCKFILE_FAIL_IMMEDIATELY = 0x1;
        private const uint LOCKFILE_EXCLUSIVE_LOCK = 0x2;
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
