using System;
using System.Collections.Generic;
using System.Threading;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The real disk without fsync, for untimed set-up only: it writes exactly the bytes the store
    /// writes, without waiting for the disk 100,000 times to build a long journal.
    /// </summary>
    internal sealed class NoSyncFileSystem : IFileSystem
    {
        private readonly IFileSystem _disk = PhysicalFileSystem.Instance;

        public bool FileExists(string path) => _disk.FileExists(path);

        public byte[] ReadAllBytes(string path) => _disk.ReadAllBytes(path);

        public byte[] ReadRange(string path, long offset, int count) => _disk.ReadRange(path, offset, count);

        public long FileLength(string path) => _disk.FileLength(path);

        public FileStamp? Stamp(string path) => _disk.Stamp(path);

        public IWritableFile CreateNew(string path) => new NoSyncFile(_disk.CreateNew(path));

        public IWritableFile OpenAppend(string path) => new NoSyncFile(_disk.OpenAppend(path));

        public IWritableFile OpenWrite(string path) => new NoSyncFile(_disk.OpenWrite(path));

        public void Replace(string source, string destination) => _disk.Replace(source, destination);

        public void FlushDirectory(string directory) { }

        public void Delete(string path) => _disk.Delete(path);

        public IReadOnlyList<string> ListFiles(string directory, string pattern) => _disk.ListFiles(directory, pattern);

        public void EnsureDirectory(string directory) => _disk.EnsureDirectory(directory);

        public bool DirectoryExists(string directory) => _disk.DirectoryExists(directory);

        public string ResolveLinks(string path) => _disk.ResolveLinks(path);

        public int? GetUnixMode(string path) => _disk.GetUnixMode(path);

        public void SetUnixMode(string path, int mode) => _disk.SetUnixMode(path, mode);

        public bool IsReadOnly(string path) => _disk.IsReadOnly(path);

        public ILockHandle AcquireLock(string path, TimeSpan timeout, CancellationToken cancellationToken) => _disk.AcquireLock(path, timeout, cancellationToken);

        private sealed class NoSyncFile : IWritableFile
        {
            private readonly IWritableFile _file;

            internal NoSyncFile(IWritableFile file) => _file = file;

            public string Path => _file.Path;

            public long Length => _file.Length;

            public void Write(byte[] buffer, int offset, int count) => _file.Write(buffer, offset, count);

            public void Flush() { }

            public void Truncate(long length) => _file.Truncate(length);

            public void WriteAt(long position, byte[] buffer, int offset, int count) => _file.WriteAt(position, buffer, offset, count);

            public int ReadAt(long position, byte[] buffer, int offset, int count) => _file.ReadAt(position, buffer, offset, count);

            public void Dispose() => _file.Dispose();
        }
    }
}
