using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// Exclusive cross-process lock on a sidecar lock file (never on the state file itself: the
    /// atomic rename swaps that inode). flock(2) on Unix, the same call Python's fcntl.flock makes;
    /// LockFileEx on Windows. The kernel drops it when the holder dies, so there are no stale locks.
    /// </summary>
    internal sealed class StateLock : ILockHandle
    {
        // Locks this process holds, to refuse a thread's second acquire (flock would deadlock on it).
        private static readonly Dictionary<string, StateLock> HeldInProcess = new Dictionary<string, StateLock>(PathComparer);
        private const int HolderRecordLength = 128;
        // Short polls: a waiter notices a release within a few ms even with many contenders (8 processes
        // updating one file spent most of their time asleep at 25 ms).
        private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(4);

        // Looked up once: Process.GetCurrentProcess() alone costs more than the whole lock.
        private static readonly string HolderPrefix = string.Format(CultureInfo.InvariantCulture,
            "pid {0} on {1} since ", Process.GetCurrentProcess().Id, Environment.MachineName);

        private readonly string _key;
        private int _fd = -1;
        private int _ownerThread;
        private bool _wroteHolder;
        private FileStream? _stream;

        /// <summary>Test seam: runs after the lock file is opened and before it is locked, to force the races there.</summary>
        internal static Action<string>? BetweenOpenAndLock { get; set; }

        private StateLock(string path, string key)
        {
            Path = path;
            _key = key;
        }

        public string Path { get; }

        /// <summary>How long the caller waited for the lock.</summary>
        public TimeSpan Waited { get; private set; }

        private static StringComparer PathComparer => PhysicalFileSystem.IsWindows ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

        /// <summary>
        /// Waits until the lock is ours, the timeout passes (<see cref="StateLockTimeoutException"/>)
        /// or the token is cancelled. On Unix a waiter sleeps in the kernel's flock and wakes the
        /// moment the lock is released (no polling: with many waiters on two cores, polling starved
        /// the holder); on Windows it polls with backoff.
        /// </summary>
        public static StateLock Acquire(string path, TimeSpan timeout, CancellationToken cancellationToken)
        {
            string key = System.IO.Path.GetFullPath(path);
            int thread = Environment.CurrentManagedThreadId;
            lock (HeldInProcess)
            {
                if (HeldInProcess.TryGetValue(key, out var existing) && existing._ownerThread == thread)
                    throw new StateLockReentrancyException(path);
            }

            var clock = Stopwatch.StartNew();
            var delay = TimeSpan.FromMilliseconds(1);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var held = new StateLock(path, key);
                var remaining = timeout - clock.Elapsed;
                var outcome = held.TryTake(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken);
                if (outcome == Outcome.Taken)
                {
                    held.Waited = clock.Elapsed;
                    held._ownerThread = thread;
                    lock (HeldInProcess) HeldInProcess[key] = held;
                    // Linux names the holder from /proc/locks; elsewhere the holder writes its name in the file.
                    if (!LockTable.Available) held.WriteHolder();
                    return held;
                }
                held.Close();
                if (outcome == Outcome.Stale) continue; // the file was replaced while we waited: take the new one

                cancellationToken.ThrowIfCancellationRequested();
                if (clock.Elapsed >= timeout)
                    throw new StateLockTimeoutException(path, timeout, LockTable.Available ? LockTable.HolderOf(path) : ReadHolder(path));
                if (!PhysicalFileSystem.IsWindows) continue;
                var wait = delay < timeout - clock.Elapsed ? delay : timeout - clock.Elapsed;
                if (wait > TimeSpan.Zero && cancellationToken.WaitHandle.WaitOne(wait))
                    cancellationToken.ThrowIfCancellationRequested();
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPoll.Ticks));
            }
        }

        /// <summary>
        /// Deletes the lock file while still holding it (removing a batch). A process that was
        /// waiting on the old file notices the file is gone when it gets the lock and starts over.
        /// On Windows an open file cannot be deleted, so there the file goes after release instead.
        /// </summary>
        public void DeleteFile()
        {
            if (!PhysicalFileSystem.IsWindows)
            {
                File.Delete(Path);
                return;
            }
            Close();
            try { File.Delete(Path); }
            catch (IOException) { /* another process has it open: it stays, harmless */ }
            catch (UnauthorizedAccessException) { }
        }

        public void Dispose()
        {
            // Unregister before releasing, so a thread that takes the lock next is not unregistered by us.
            lock (HeldInProcess)
            {
                if (HeldInProcess.TryGetValue(_key, out var registered) && ReferenceEquals(registered, this)) HeldInProcess.Remove(_key);
            }
            Close();
        }

        private enum Outcome
        {
            Taken,

            /// <summary>Held by someone else (and, on Unix, still so when the wait ran out).</summary>
            Busy,

            /// <summary>We locked a lock file that has since been deleted or replaced.</summary>
            Stale,
        }

        private Outcome TryTake(TimeSpan wait, CancellationToken cancellationToken)
        {
            if (PhysicalFileSystem.IsWindows)
            {
                _stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.None);
                return WindowsNative.TryLockExclusive(_stream.SafeFileHandle, Path) ? Outcome.Taken : Outcome.Busy;
            }

            _fd = UnixNative.Open(Path, UnixNative.O_RDWR | UnixNative.O_CREAT, 0x180 /* 0600 */);
            BetweenOpenAndLock?.Invoke(Path);
            if (!UnixNative.TryFlockExclusive(_fd, Path))
            {
                if (wait <= TimeSpan.Zero) return Outcome.Busy;
                var waiter = new FlockWaiter(_fd, Path);
                if (!waiter.Wait(wait, cancellationToken))
                {
                    _fd = -1; // the waiter thread owns the descriptor now: it closes it once it gets the lock
                    return Outcome.Busy;
                }
            }
            // The file we locked may have been deleted (batch removed) while we waited; a lock on
            // an unlinked file excludes nobody who opens the path now.
            var held = UnixNative.Identity(_fd);
            if (held.HasValue && !held.Equals(UnixNative.Identity(Path)))
            {
                UnixNative.Unlock(_fd);
                return Outcome.Stale;
            }
            return Outcome.Taken;
        }

        private void Close()
        {
            if (_fd >= 0)
            {
                if (_wroteHolder) ClearHolder();
                UnixNative.Unlock(_fd);
                UnixNative.Close(_fd);
                _fd = -1;
            }
            if (_stream != null)
            {
                if (_wroteHolder) ClearHolder();
                try { WindowsNative.Unlock(_stream.SafeFileHandle); }
                finally
                {
                    _stream.Dispose();
                    _stream = null;
                }
            }
        }

        /// <summary>pid, host and time, for the timeout message only; the lock is the flock, not this text.</summary>
        private void WriteHolder()
        {
            try
            {
                // Always the same padded length, written over the start: no truncation, so no
                // metadata change (which would cost a file system journal commit per lock).
                string line = HolderPrefix + DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
                var text = Encoding.UTF8.GetBytes(line.PadRight(HolderRecordLength - 1) + "\n");
                if (_fd >= 0)
                {
                    UnixNative.Pwrite(_fd, text, 0, Path);
                    _wroteHolder = true;
                }
                else if (_stream != null)
                {
                    _stream.Position = 0;
                    _stream.Write(text, 0, text.Length);
                    _stream.Flush();
                    _wroteHolder = true;
                }
            }
            catch (IOException)
            {
                // Diagnostics only: a full disk must not stop the lock from working.
            }
        }

        /// <summary>
        /// Blanks the holder text while still holding the lock, so a later timeout never names us
        /// when some other program (one that writes nothing, such as a Python script) holds it.
        /// </summary>
        private void ClearHolder()
        {
            _wroteHolder = false;
            var blank = Encoding.ASCII.GetBytes(new string(' ', HolderRecordLength - 1) + "\n");
            try
            {
                if (_fd >= 0) UnixNative.Pwrite(_fd, blank, 0, Path);
                else if (_stream != null)
                {
                    _stream.Position = 0;
                    _stream.Write(blank, 0, blank.Length);
                    _stream.Flush();
                }
            }
            catch (IOException)
            {
            }
        }

        private static string? ReadHolder(string path)
        {
            try
            {
                byte[] buffer = new byte[256];
                int read;
                if (PhysicalFileSystem.IsWindows)
                {
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    read = stream.Read(buffer, 0, buffer.Length);
                }
                else
                {
                    // Not through FileStream: .NET would try its own shared flock on the file we wait for.
                    int fd = UnixNative.Open(path, UnixNative.O_RDONLY, 0);
                    try { read = UnixNative.Pread(fd, buffer, 0, buffer.Length, 0, path); }
                    finally { UnixNative.Close(fd); }
                }
                string text = Encoding.UTF8.GetString(buffer, 0, read).Trim();
                return text.Length == 0 ? null : text;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
