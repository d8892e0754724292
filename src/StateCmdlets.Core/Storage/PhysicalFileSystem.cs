using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// The real disk. On Unix every write-side call goes straight to libc (open with a mode,
    /// write, fsync, rename, folder fsync); on Windows through FileStream plus MoveFileEx.
    /// </summary>
    internal sealed class PhysicalFileSystem : IFileSystem
    {
        public static readonly PhysicalFileSystem Instance = new PhysicalFileSystem();

        internal static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        private const int OwnerOnlyFile = 0x180; // 0600
        private const int OwnerOnlyFolder = 0x1C0; // 0700

        private PhysicalFileSystem() { }

        public bool FileExists(string path) => File.Exists(path);

        public bool DirectoryExists(string directory) => Directory.Exists(directory);

        public string ResolveLinks(string path) => IsWindows ? SymbolicLinks.ResolveWindows(path) : SymbolicLinks.ResolveUnix(path);

        public int? GetUnixMode(string path) => IsWindows ? null : UnixPermissions.Of(path);

        public void SetUnixMode(string path, int mode)
        {
            if (!IsWindows) UnixNative.Chmod(path, mode & UnixPermissions.PermissionBits);
        }

        public bool IsReadOnly(string path)
        {
            if (!IsWindows) return UnixPermissions.IsReadOnly(path);
            try
            {
                return (File.GetAttributes(path) & FileAttributes.ReadOnly) != 0;
            }
            catch (Exception e) when (e is FileNotFoundException || e is DirectoryNotFoundException)
            {
                return false;
            }
        }

        public byte[] ReadAllBytes(string path)
        {
            // Share everything: a reader must never block a writer's rename or append.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            long length = stream.Length;
            if (length > int.MaxValue) throw new IOException($"'{path}' is larger than 2 GiB.");
            var buffer = new byte[length];
            int read = 0;
            while (read < buffer.Length)
            {
                int n = stream.Read(buffer, read, buffer.Length - read);
                if (n == 0) break;
                read += n;
            }
            if (read == buffer.Length) return buffer;
            Array.Resize(ref buffer, read);
            return buffer;
        }

        public byte[] ReadRange(string path, long offset, int count)
        {
            if (!IsWindows)
            {
                // Straight pread: a FileStream open costs more than the read (and takes .NET's own flock).
                int fd = UnixNative.Open(path, UnixNative.O_RDONLY, 0);
                try
                {
                    var chunk = new byte[count];
                    int got = 0;
                    while (got < count)
                    {
                        int n = UnixNative.Pread(fd, chunk, got, count - got, offset + got, path);
                        if (n == 0) break;
                        got += n;
                    }
                    if (got < count) Array.Resize(ref chunk, got);
                    return chunk;
                }
                finally
                {
                    UnixNative.Close(fd);
                }
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            if (offset >= stream.Length) return Array.Empty<byte>();
            stream.Position = offset;
            var buffer = new byte[(int)Math.Min(count, stream.Length - offset)];
            int read = 0;
            while (read < buffer.Length)
            {
                int n = stream.Read(buffer, read, buffer.Length - read);
                if (n == 0) break;
                read += n;
            }
            if (read < buffer.Length) Array.Resize(ref buffer, read);
            return buffer;
        }

        public long FileLength(string path)
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new FileNotFoundException($"'{path}' does not exist.", path);
            return info.Length;
        }

        public FileStamp? Stamp(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks) : (FileStamp?)null;
        }

        public ILockHandle AcquireLock(string path, TimeSpan timeout, System.Threading.CancellationToken cancellationToken) =>
            StateLock.Acquire(path, timeout, cancellationToken);

        public IWritableFile CreateNew(string path)
        {
            if (IsWindows)
                return new StreamFile(path, new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1, FileOptions.None));
            int fd = UnixNative.Open(path, UnixNative.O_WRONLY | UnixNative.O_CREAT | UnixNative.O_EXCL, OwnerOnlyFile);
            return new DescriptorFile(path, fd);
        }

        public IWritableFile OpenAppend(string path)
        {
            if (IsWindows)
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
                stream.Seek(0, SeekOrigin.End);
                return new StreamFile(path, stream);
            }
            int fd = UnixNative.Open(path, UnixNative.O_WRONLY | UnixNative.O_CREAT | UnixNative.O_APPEND, OwnerOnlyFile);
            return new DescriptorFile(path, fd);
        }

        public IWritableFile OpenWrite(string path)
        {
            if (IsWindows)
                return new StreamFile(path, new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None));
            int fd = UnixNative.Open(path, UnixNative.O_RDWR, 0);
            return new DescriptorFile(path, fd);
        }

        public void Replace(string source, string destination)
        {
            if (IsWindows) WindowsNative.Replace(source, destination);
            else UnixNative.Rename(source, destination);
        }

        public void FlushDirectory(string directory)
        {
            // Windows has no folder fsync; MOVEFILE_WRITE_THROUGH makes the rename durable instead.
            if (IsWindows) return;
            int fd = UnixNative.Open(directory, UnixNative.O_RDONLY, 0);
            try { UnixNative.Fsync(fd, directory); }
            finally { UnixNative.Close(fd); }
        }

        public void Delete(string path)
        {
            try { File.Delete(path); }
            catch (DirectoryNotFoundException) { }
        }

        public IReadOnlyList<string> ListFiles(string directory, string pattern)
        {
            if (!Directory.Exists(directory)) return Array.Empty<string>();
            return Directory.EnumerateFiles(directory, pattern)
                .Select(System.IO.Path.GetFileName)
                .Where(name => name != null)
                .Select(name => name!)
                .OrderBy(name => name, StringComparer.Ordinal)
                .ToList();
        }

        public void EnsureDirectory(string directory)
        {
            if (Directory.Exists(directory)) return;
            if (IsWindows)
            {
                Directory.CreateDirectory(directory);
                return;
            }
            // Parents get the usual mode; the state folder itself is owner-only.
            string? parent = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(directory));
            if (!string.IsNullOrEmpty(parent)) Directory.CreateDirectory(parent);
            // chmod after mkdir: a strict umask (say 0277) would otherwise leave the owner locked out.
            if (UnixNative.Mkdir(directory, OwnerOnlyFolder)) UnixNative.Chmod(directory, OwnerOnlyFolder);
        }

        /// <summary>A file descriptor opened by <see cref="UnixNative.Open"/>.</summary>
        private sealed class DescriptorFile : IWritableFile
        {
            private int _fd;

            internal DescriptorFile(string path, int fd)
            {
                Path = path;
                _fd = fd;
            }

            public string Path { get; }

            public long Length => UnixNative.Length(Descriptor, Path);

            private int Descriptor => _fd >= 0 ? _fd : throw new ObjectDisposedException(Path);

            public void Write(byte[] buffer, int offset, int count) => UnixNative.WriteAll(Descriptor, buffer, offset, count, Path);

            public void WriteAt(long position, byte[] buffer, int offset, int count) => UnixNative.Pwrite(Descriptor, buffer, offset, count, position, Path);

            public int ReadAt(long position, byte[] buffer, int offset, int count)
            {
                int got = 0;
                while (got < count)
                {
                    int n = UnixNative.Pread(Descriptor, buffer, offset + got, count - got, position + got, Path);
                    if (n == 0) break;
                    got += n;
                }
                return got;
            }

            public void Flush() => UnixNative.Fsync(Descriptor, Path);

            public void Truncate(long length) => UnixNative.Ftruncate(Descriptor, length, Path);

            public void Dispose()
            {
                if (_fd < 0) return;
                UnixNative.Close(_fd);
                _fd = -1;
            }
        }

        /// <summary>A FileStream whose Flush is FlushFileBuffers (Windows).</summary>
        private sealed class StreamFile : IWritableFile
        {
            private readonly FileStream _stream;

            internal StreamFile(string path, FileStream stream)
            {
                Path = path;
                _stream = stream;
            }

            public string Path { get; }

            public long Length => _stream.Length;

            public void Write(byte[] buffer, int offset, int count) => _stream.Write(buffer, offset, count);

            public void WriteAt(long position, byte[] buffer, int offset, int count)
            {
                _stream.Position = position;
                _stream.Write(buffer, offset, count);
            }

            public int ReadAt(long position, byte[] buffer, int offset, int count)
            {
                _stream.Position = position;
                int got = 0;
                while (got < count)
                {
                    int n = _stream.Read(buffer, offset + got, count - got);
                    if (n == 0) break;
                    got += n;
                }
                return got;
            }

            public void Flush() => _stream.Flush(true);

            public void Truncate(long length)
            {
                _stream.SetLength(length);
                _stream.Seek(0, SeekOrigin.End);
            }

            public void Dispose() => _stream.Dispose();
        }
    }
}
