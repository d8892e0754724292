using System;
using System.Collections.Generic;
using System.IO;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Core.Tests.Support
{
    /// <summary>
    /// The real disk, recording each operation and failing the one a test names, so tests can
    /// show what a failure at each step leaves behind.
    /// </summary>
    internal sealed class FaultyFileSystem : IFileSystem
    {
        private readonly IFileSystem _inner = PhysicalFileSystem.Instance;

        /// <summary>Operation to fail: CreateNew, SetUnixMode, OpenAppend, OpenWrite, Write, Flush, Truncate, Replace, FlushDirectory, Delete.</summary>
        public string? FailOn { get; set; }

        /// <summary>Runs before each Replace, with the source path (to inspect the temp file).</summary>
        public Action<string>? BeforeReplace { get; set; }

        public List<string> Operations { get; } = new List<string>();

        private void Step(string operation, string path)
        {
            Operations.Add(operation + " " + Path.GetFileName(path));
            if (operation == FailOn) throw new IOException($"Injected failure at {operation} of '{path}'.");
        }

        public bool FileExists(string path) => _inner.FileExists(path);

        public bool DirectoryExists(string directory) => _inner.DirectoryExists(directory);

        /// <summary>Runs before each whole-file read, with the path (to interleave another writer).</summary>
        public Action<string>? BeforeRead { get; set; }

        public byte[] ReadAllBytes(string path)
        {
            BeforeRead?.Invoke(path);
            return _inner.ReadAllBytes(path);
        }

        public byte[] ReadRange(string path, long offset, int count) => _inner.ReadRange(path, offset, count);

        public long FileLength(string path) => _inner.FileLength(path);

        public FileStamp? Stamp(string path) => _inner.Stamp(path);

        public ILockHandle AcquireLock(string path, TimeSpan timeout, System.Threading.CancellationToken cancellationToken) =>
            _inner.AcquireLock(path, timeout, cancellationToken);

        public IWritableFile CreateNew(string path)
        {
            Step("CreateNew", path);
            return new File(this, _inner.CreateNew(path));
        }

        public IWritableFile OpenAppend(string path)
        {
            Step("OpenAppend", path);
            return new File(this, _inner.OpenAppend(path));
        }

        public IWritableFile OpenWrite(string path)
        {
            Step("OpenWrite", path);
            return new File(this, _inner.OpenWrite(path));
        }

        public void Replace(string source, string destination)
        {
            BeforeReplace?.Invoke(source);
            Step("Replace", destination);
            _inner.Replace(source, destination);
        }

        public void FlushDirectory(string directory)
        {
            Step("FlushDirectory", directory);
            _inner.FlushDirectory(directory);
        }

        public void Delete(string path)
        {
            Step("Delete", path);
            _inner.Delete(path);
        }

        public IReadOnlyList<string> ListFiles(string directory, string pattern) => _inner.ListFiles(directory, pattern);

        public void EnsureDirectory(string directory) => _inner.EnsureDirectory(directory);

        public string ResolveLinks(string path) => _inner.ResolveLinks(path);

        public int? GetUnixMode(string path) => _inner.GetUnixMode(path);

        public void SetUnixMode(string path, int mode)
        {
            Step("SetUnixMode", path);
            _inner.SetUnixMode(path, mode);
        }

        public bool IsReadOnly(string path) => _inner.IsReadOnly(path);

        private sealed class File : IWritableFile
        {
            private readonly FaultyFileSystem _owner;
            private readonly IWritableFile _inner;

            internal File(FaultyFileSystem owner, IWritableFile inner)
            {
                _owner = owner;
                _inner = inner;
            }

            public string Path => _inner.Path;

            public long Length => _inner.Length;

            public void Write(byte[] buffer, int offset, int count)
            {
                _owner.Step("Write", Path);
                _inner.Write(buffer, offset, count);
            }

            public int ReadAt(long position, byte[] buffer, int offset, int count)
            {
                if (position == 0 && count > 1) _owner.BeforeRead?.Invoke(Path); // the journal's header: the start of a read
                return _inner.ReadAt(position, buffer, offset, count);
            }

            public void WriteAt(long position, byte[] buffer, int offset, int count)
            {
                _owner.Step("Write", Path);
                _inner.WriteAt(position, buffer, offset, count);
            }

            public void Flush()
            {
                _owner.Step("Flush", Path);
                _inner.Flush();
            }

            public void Truncate(long length)
            {
                _owner.Step("Truncate", Path);
                _inner.Truncate(length);
            }

            public void Dispose()
            {
                _owner.Operations.Add("Close " + System.IO.Path.GetFileName(Path));
                _inner.Dispose();
            }
        }
    }
}
