using System;
using System.Threading;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// A blocking flock(LOCK_EX) on its own thread, so the caller can wait for it with a timeout and
    /// a cancellation token. A blocking flock cannot be interrupted: when the caller gives up, the
    /// thread goes on waiting, and when it gets the lock it releases it at once and closes the file.
    /// </summary>
    internal sealed class FlockWaiter
    {
        private const int Waiting = 0, Acquired = 1, Abandoned = 2;
        private readonly int _fd;
        private readonly string _path;
        private readonly ManualResetEvent _done = new ManualResetEvent(false);
        private int _state;
        private Exception? _error;

        internal FlockWaiter(int fd, string path)
        {
            _fd = fd;
            _path = path;
            new Thread(Run) { IsBackground = true, Name = "StateLock waiter" }.Start();
        }

        /// <summary>True when the lock is ours; false when the time ran out or the token was cancelled (the descriptor then belongs to the waiter).</summary>
        internal bool Wait(TimeSpan timeout, CancellationToken cancellationToken)
        {
            int signalled = WaitHandle.WaitAny(new[] { _done, cancellationToken.WaitHandle }, timeout);
            if (signalled != 0 && Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting) return false;
            // Done, or it got the lock just as we gave up: either way the lock is ours.
            _done.WaitOne();
            _done.Dispose();
            if (_error != null) throw _error;
            return true;
        }

        private void Run()
        {
            try
            {
                UnixNative.FlockExclusive(_fd, _path);
            }
            catch (Exception e)
            {
                _error = e;
            }
            if (Interlocked.CompareExchange(ref _state, Acquired, Waiting) == Abandoned)
            {
                if (_error == null) UnixNative.Unlock(_fd);
                UnixNative.Close(_fd);
                return;
            }
            _done.Set();
        }
    }
}
