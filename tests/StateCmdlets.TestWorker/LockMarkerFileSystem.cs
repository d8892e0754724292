using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.TestWorker
{
    /// <summary>
    /// The real disk, plus a witness of mutual exclusion: while a process holds a batch lock, its pid
    /// is in a shared marker file. Finding another live process's pid there on taking the lock, or
    /// not finding our own on releasing it, means two processes held the lock at once.
    /// </summary>
    internal sealed class LockMarkerFileSystem : IFileSystem
    {
        private readonly IFileSystem _inner = PhysicalFileSystem.Instance;
        private readonly string _marker;
        private readonly string _pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        internal LockMarkerFileSystem(string marker) => _marker = marker;

        public ILockHandle AcquireLock(string path, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var held = _inner.AcquireLock(path, timeout, cancellationToken);
            string other = File.Exists(_marker) ? File.ReadAllText(_marker).Trim() : string.Empty;
            // A holder killed with SIGKILL leaves its pid behind; only a live one is a violation. The
            // kernel releases a dying process's locks before it is reaped, and a blocked waiter wakes
            // at once, so give the other a moment to finish dying before calling it an overlap.
            if (other.Length > 0 && StaysAlive(other)) Console.WriteLine("OVERLAP " + other);
            File.WriteAllText(_marker, _pid);
            return new Marked(held, this);
        }

        private void Release()
        {
            string now = File.Exists(_marker) ? File.ReadAllText(_marker).Trim() : string.Empty;
            if (now != _pid) Console.WriteLine("OVERLAP " + now);
            File.WriteAllText(_marker, string.Empty);
        }

        private static bool StaysAlive(string pid)
        {
            for (int i = 0; i < 50; i++)
            {
                if (!IsAlive(pid)) return false;
                Thread.Sleep(10);
            }
            return true;
        }

        private static bool IsAlive(string pid)
        {
            // A writer killed a moment ago stays a zombie until the test reaps it: that is dead too.
            string stat = "/proc/" + pid + "/stat";
            if (File.Exists(stat))
            {
                try
                {
                    string text = File.ReadAllText(stat);
                    char state = text[text.LastIndexOf(')') + 2];
                    return state != 'Z' && state != 'X';
                }
                catch (IOException)
                {
                    return false;
                }
            }
            try
            {
                using var process = Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        public bool FileExists(string path) => _inner.FileExists(path);

        public byte[] ReadAllBytes(string path) => _inner.ReadAllBytes(path);

        public byte[] ReadRange(string path, long offset, int count) => _inner.ReadRange(path, offset, count);

        public long FileLength(string path) => _inner.FileLength(path);

        public FileStamp? Stamp(string path) => _inner.Stamp(path);

        public IWritableFile CreateNew(string path) => _inner.CreateNew(path);

        public IWritableFile OpenAppend(string path) => _inner.OpenAppend(path);

        public IWritableFile OpenWrite(string path) => _inner.OpenWrite(path);

        public void Replace(string source, string destination) => _inner.Replace(source, destination);

        public void FlushDirectory(string directory) => _inner.FlushDirectory(directory);

        public void Delete(string path) => _inner.Delete(path);

        public IReadOnlyList<string> ListFiles(string directory, string pattern) => _inner.ListFiles(directory, pattern);

        public void EnsureDirectory(string directory) => _inner.EnsureDirectory(directory);

        public bool DirectoryExists(string directory) => _inner.DirectoryExists(directory);

        public string ResolveLinks(string path) => _inner.ResolveLinks(path);

        public int? GetUnixMode(string path) => _inner.GetUnixMode(path);

        public void SetUnixMode(string path, int mode) => _inner.SetUnixMode(path, mode);

        public bool IsReadOnly(string path) => _inner.IsReadOnly(path);

        private sealed class Marked : ILockHandle
        {
            private readonly ILockHandle _held;
            private readonly LockMarkerFileSystem _owner;

            internal Marked(ILockHandle held, LockMarkerFileSystem owner)
            {
                _held = held;
                _owner = owner;
            }

            public TimeSpan Waited => _held.Waited;

            public void DeleteFile() => _held.DeleteFile();

            public void Dispose()
            {
                _owner.Release();
                _held.Dispose();
            }
        }
    }
}
