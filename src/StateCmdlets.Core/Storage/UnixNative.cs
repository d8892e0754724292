using System;
using System.Runtime.InteropServices;
using System.Text;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// The libc calls the core makes itself on Linux and macOS: netstandard2.0 has no fsync of a
    /// folder, no create mode, and .NET's own FileShare emulation takes flock locks of its own.
    /// </summary>
    internal static class UnixNative
    {
        private const string Libc = "libc";

        internal const int LOCK_EX = 2;
        internal const int LOCK_NB = 4;
        internal const int LOCK_UN = 8;

        internal static readonly bool IsMac = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

        // open(2) flags differ between Linux and the BSDs (macOS).
        internal static readonly int O_RDONLY = 0;
        internal static readonly int O_WRONLY = 1;
        internal static readonly int O_RDWR = 2;
        internal static readonly int O_CREAT = IsMac ? 0x200 : 0x40;
        internal static readonly int O_EXCL = IsMac ? 0x800 : 0x80;
        internal static readonly int O_APPEND = IsMac ? 0x8 : 0x400;
        internal static readonly int O_CLOEXEC = IsMac ? 0x1000000 : 0x80000;

        internal const int EINTR = 4;
        internal const int ENOENT = 2;
        internal const int EACCES = 13;
        internal const int EEXIST = 17;
        internal const int ENOTDIR = 20;
        internal const int EINVAL = 22;
        internal static readonly int EWOULDBLOCK = IsMac ? 35 : 11;

        [DllImport(Libc, EntryPoint = "open", SetLastError = true)]
        private static extern int OpenRaw(byte[] path, int flags, int mode);

        [DllImport(Libc, EntryPoint = "close", SetLastError = true)]
        internal static extern int Close(int fd);

        [DllImport(Libc, EntryPoint = "write", SetLastError = true)]
        private static extern unsafe IntPtr WriteRaw(int fd, byte* buffer, UIntPtr count);

        [DllImport(Libc, EntryPoint = "pread", SetLastError = true)]
        private static extern unsafe IntPtr PreadRaw(int fd, byte* buffer, UIntPtr count, long offset);

        [DllImport(Libc, EntryPoint = "pwrite", SetLastError = true)]
        private static extern unsafe IntPtr PwriteRaw(int fd, byte* buffer, UIntPtr count, long offset);

        [DllImport(Libc, EntryPoint = "fsync", SetLastError = true)]
        private static extern int FsyncRaw(int fd);

        [DllImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
        private static extern int FcntlRaw(int fd, int command, int argument);

        // macOS: fsync only reaches the drive's cache; F_FULLFSYNC asks the drive to flush it.
        private const int F_FULLFSYNC = 51;

        [DllImport(Libc, EntryPoint = "ftruncate", SetLastError = true)]
        private static extern int FtruncateRaw(int fd, long length);

        [DllImport(Libc, EntryPoint = "lseek", SetLastError = true)]
        private static extern long LseekRaw(int fd, long offset, int whence);

        [DllImport(Libc, EntryPoint = "rename", SetLastError = true)]
        private static extern int RenameRaw(byte[] oldPath, byte[] newPath);

        [DllImport(Libc, EntryPoint = "flock", SetLastError = true)]
        private static extern int FlockRaw(int fd, int operation);

        [DllImport(Libc, EntryPoint = "mkdir", SetLastError = true)]
        private static extern int MkdirRaw(byte[] path, int mode);

        [DllImport(Libc, EntryPoint = "chmod", SetLastError = true)]
        private static extern int ChmodRaw(byte[] path, int mode);

        [DllImport(Libc, EntryPoint = "realpath", SetLastError = true)]
        private static extern IntPtr RealpathRaw(byte[] path, byte[] resolved);

        [DllImport(Libc, EntryPoint = "readlink", SetLastError = true)]
        private static extern IntPtr ReadlinkRaw(byte[] path, byte[] buffer, UIntPtr size);

        [DllImport(Libc, EntryPoint = "access", SetLastError = true)]
        private static extern int AccessRaw(byte[] path, int mode);

        private const int W_OK = 2;

        // Larger than PATH_MAX on Linux (4096) and macOS (1024): realpath writes at most that.
        private const int PathBuffer = 4097;

        [DllImport(Libc, EntryPoint = "getpid")]
        internal static extern int GetPid();

        // Linux: glibc >= 2.33 and musl export stat/fstat; older glibc only the versioned __xstat.
        [DllImport(Libc, EntryPoint = "stat", SetLastError = true)]
        private static extern unsafe int StatRaw(byte[] path, byte* buffer);

        [DllImport(Libc, EntryPoint = "fstat", SetLastError = true)]
        private static extern unsafe int FstatRaw(int fd, byte* buffer);

        [DllImport(Libc, EntryPoint = "__xstat", SetLastError = true)]
        private static extern unsafe int XstatRaw(int version, byte[] path, byte* buffer);

        [DllImport(Libc, EntryPoint = "__fxstat", SetLastError = true)]
        private static extern unsafe int FxstatRaw(int version, int fd, byte* buffer);

        internal static byte[] PathBytes(string path)
        {
            var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
            Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
            return bytes;
        }

        internal static int LastErrno() => Marshal.GetLastWin32Error();

        internal static int Open(string path, int flags, int mode)
        {
            var bytes = PathBytes(path);
            while (true)
            {
                int fd = OpenRaw(bytes, flags | O_CLOEXEC, mode);
                if (fd >= 0) return fd;
                int errno = LastErrno();
                if (errno != EINTR) throw NativeError.From(errno, "open", path);
            }
        }

        internal static unsafe void WriteAll(int fd, byte[] buffer, int offset, int count, string path)
        {
            fixed (byte* start = buffer)
            {
                while (count > 0)
                {
                    long written = (long)WriteRaw(fd, start + offset, (UIntPtr)(uint)count);
                    if (written < 0)
                    {
                        int errno = LastErrno();
                        if (errno == EINTR) continue;
                        throw NativeError.From(errno, "write", path);
                    }
                    offset += (int)written;
                    count -= (int)written;
                }
            }
        }

        internal static void Pwrite(int fd, byte[] buffer, long position, string path) => Pwrite(fd, buffer, 0, buffer.Length, position, path);

        internal static unsafe void Pwrite(int fd, byte[] buffer, int offset, int count, long position, string path)
        {
            fixed (byte* start = buffer)
            {
                int done = 0;
                while (done < count)
                {
                    long written = (long)PwriteRaw(fd, start + offset + done, (UIntPtr)(uint)(count - done), position + done);
                    if (written < 0)
                    {
                        int errno = LastErrno();
                        if (errno == EINTR) continue;
                        throw NativeError.From(errno, "write", path);
                    }
                    done += (int)written;
                }
            }
        }

        internal static unsafe int Pread(int fd, byte[] buffer, int offset, int count, long position, string path)
        {
            fixed (byte* start = buffer)
            {
                while (true)
                {
                    long read = (long)PreadRaw(fd, start + offset, (UIntPtr)(uint)count, position);
                    if (read >= 0) return (int)read;
                    int errno = LastErrno();
                    if (errno != EINTR) throw NativeError.From(errno, "read", path);
                }
            }
        }

        internal static void Fsync(int fd, string path)
        {
            if (IsMac && FcntlRaw(fd, F_FULLFSYNC, 0) == 0) return; // else (say, a file system without it) plain fsync
            while (FsyncRaw(fd) != 0)
            {
                int errno = LastErrno();
                if (errno != EINTR) throw NativeError.From(errno, "fsync", path);
            }
        }

        internal static void Ftruncate(int fd, long length, string path)
        {
            while (FtruncateRaw(fd, length) != 0)
            {
                int errno = LastErrno();
                if (errno != EINTR) throw NativeError.From(errno, "ftruncate", path);
            }
        }

        internal static long Length(int fd, string path)
        {
            long end = LseekRaw(fd, 0, 2 /* SEEK_END */);
            if (end < 0) throw NativeError.From(LastErrno(), "lseek", path);
            return end;
        }

        internal static void Rename(string source, string destination)
        {
            if (RenameRaw(PathBytes(source), PathBytes(destination)) != 0)
                throw NativeError.From(LastErrno(), "rename", destination);
        }

        /// <summary>Returns true when the lock was taken, false when another holder has it.</summary>
        internal static bool TryFlockExclusive(int fd, string path)
        {
            while (true)
            {
                if (FlockRaw(fd, LOCK_EX | LOCK_NB) == 0) return true;
                int errno = LastErrno();
                if (errno == EWOULDBLOCK) return false;
                if (errno != EINTR) throw NativeError.From(errno, "flock", path);
            }
        }

        /// <summary>Blocks until the lock is taken.</summary>
        internal static void FlockExclusive(int fd, string path)
        {
            while (FlockRaw(fd, LOCK_EX) != 0)
            {
                int errno = LastErrno();
                if (errno != EINTR) throw NativeError.From(errno, "flock", path);
            }
        }

        internal static void Unlock(int fd) => FlockRaw(fd, LOCK_UN);

        /// <summary>mkdir with a mode; false when it already exists.</summary>
        internal static bool Mkdir(string path, int mode)
        {
            if (MkdirRaw(PathBytes(path), mode) == 0) return true;
            int errno = LastErrno();
            if (errno == EEXIST) return false;
            throw NativeError.From(errno, "mkdir", path);
        }

        internal static void Chmod(string path, int mode)
        {
            if (ChmodRaw(PathBytes(path), mode) != 0) throw NativeError.From(LastErrno(), "chmod", path);
        }

        /// <summary>
        /// realpath(3): the absolute path with every symbolic link, '.' and '..' resolved; null when a
        /// component is missing. A caller-supplied buffer, since older macOS realpath refuses a null one.
        /// </summary>
        internal static string? RealPath(string path)
        {
            var buffer = new byte[PathBuffer];
            if (RealpathRaw(PathBytes(path), buffer) == IntPtr.Zero)
            {
                int errno = LastErrno();
                if (errno == ENOENT || errno == ENOTDIR) return null;
                throw NativeError.From(errno, "realpath", path);
            }
            int length = Array.IndexOf(buffer, (byte)0);
            return Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length);
        }

        /// <summary>readlink(2): what a symbolic link points to, as written in it; null when the path is not a link or is missing.</summary>
        internal static string? ReadLink(string path)
        {
            var buffer = new byte[PathBuffer];
            long length = (long)ReadlinkRaw(PathBytes(path), buffer, (UIntPtr)(uint)buffer.Length);
            if (length >= 0) return Encoding.UTF8.GetString(buffer, 0, (int)length);
            int errno = LastErrno();
            if (errno == EINVAL || errno == ENOENT || errno == ENOTDIR) return null;
            throw NativeError.From(errno, "readlink", path);
        }

        /// <summary>
        /// False when access(2) denies this user write permission (EACCES). Root is never denied, and
        /// other failures (say, a read-only file system) are left for the write itself to report.
        /// </summary>
        internal static bool MayWrite(string path) => AccessRaw(PathBytes(path), W_OK) == 0 || LastErrno() != EACCES;

        /// <summary>
        /// (device, inode) of an open descriptor, or null where this layer cannot read struct stat
        /// (only the Linux layout is known here: st_dev and st_ino are the first two 64-bit fields).
        /// </summary>
        internal static unsafe (ulong Device, ulong Inode)? Identity(int fd)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || IntPtr.Size != 8) return null;
            byte* buffer = stackalloc byte[256];
            int rc;
            try { rc = FstatRaw(fd, buffer); }
            catch (EntryPointNotFoundException) { rc = FxstatRaw(StatVersion, fd, buffer); }
            if (rc != 0) return null;
            return (*(ulong*)buffer, *(ulong*)(buffer + 8));
        }

        /// <summary>(device, inode) of a path; null when it does not exist or cannot be read.</summary>
        internal static unsafe (ulong Device, ulong Inode)? Identity(string path)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || IntPtr.Size != 8) return null;
            byte* buffer = stackalloc byte[256];
            int rc;
            try { rc = StatRaw(PathBytes(path), buffer); }
            catch (EntryPointNotFoundException) { rc = XstatRaw(StatVersion, PathBytes(path), buffer); }
            if (rc != 0) return null;
            return (*(ulong*)buffer, *(ulong*)(buffer + 8));
        }

        // _STAT_VER for the legacy glibc entry points: 1 on x86_64, 0 on the generic (arm64) ABI.
        private static int StatVersion => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0;
    }
}
