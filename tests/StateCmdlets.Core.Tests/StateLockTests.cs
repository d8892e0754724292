using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class StateLockTests
    {
        private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

        [Fact]
        public void A_held_lock_excludes_another_thread_until_released()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            var held = StateLock.Acquire(path, Long, CancellationToken.None);

            var other = Task.Run(() => StateLock.Acquire(path, TimeSpan.FromMilliseconds(200), CancellationToken.None));
            var error = Assert.Throws<AggregateException>(() => other.Wait(Long));
            Assert.IsType<StateLockTimeoutException>(error.InnerException);

            held.Dispose();
            using var second = Task.Run(() => StateLock.Acquire(path, Long, CancellationToken.None)).Result;
            Assert.Equal(path, second.Path);
        }

        [Fact]
        public void Taking_a_lock_the_same_thread_holds_is_a_clear_error_not_a_deadlock()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            using var held = StateLock.Acquire(path, Long, CancellationToken.None);
            var clock = Stopwatch.StartNew();
            var error = Assert.Throws<StateLockReentrancyException>(() => StateLock.Acquire(path, Long, CancellationToken.None));
            Assert.Equal("StateLockReentrant", error.ErrorId);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "reentrancy must be refused at once, not after the timeout");
        }

        [Fact]
        public void Cancellation_stops_the_wait()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            using var held = StateLock.Acquire(path, Long, CancellationToken.None);
            using var cancel = new CancellationTokenSource();
            var waiter = Task.Run(() => StateLock.Acquire(path, TimeSpan.FromMinutes(5), cancel.Token));
            Thread.Sleep(100);
            Assert.False(waiter.IsCompleted);
            cancel.Cancel();
            var error = Assert.Throws<AggregateException>(() => waiter.Wait(Long));
            Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
        }

        [Fact]
        public void Another_process_holding_the_lock_gives_a_timeout_naming_its_pid()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            using var worker = WorkerProcess.Start("hold", path, "20000");
            try
            {
                WorkerProcess.WaitForLine(worker, "locked", Long);
                var error = Assert.Throws<StateLockTimeoutException>(() => StateLock.Acquire(path, TimeSpan.FromMilliseconds(300), CancellationToken.None));
                Assert.Equal(path, error.Path);
                Assert.Contains("pid " + worker.Id, error.Message);
            }
            finally
            {
                worker.Kill();
                worker.WaitForExit();
            }
        }

        [Fact]
        public void A_killed_holder_leaves_no_stale_lock()
        {
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            using var worker = WorkerProcess.Start("hold", path, "60000");
            WorkerProcess.WaitForLine(worker, "locked", Long);
            worker.Kill(); // SIGKILL on Unix: no cleanup code runs
            worker.WaitForExit();
            using var taken = StateLock.Acquire(path, TimeSpan.FromSeconds(10), CancellationToken.None);
            Assert.True(File.Exists(path));
        }

        [Fact]
        public void A_waiter_on_a_deleted_lock_file_does_not_share_the_lock_with_a_newcomer()
        {
            if (!UnixMode.Applies) return;
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            var remover = StateLock.Acquire(path, Long, CancellationToken.None);
            // The waiter opens the current lock file and waits on it.
            var waiter = Task.Run(() => StateLock.Acquire(path, Long, CancellationToken.None));
            Thread.Sleep(100);
            remover.DeleteFile();
            // A newcomer (its own thread) now creates and locks a fresh lock file at the same path.
            StateLock? newcomer = null;
            var thread = new Thread(() => newcomer = StateLock.Acquire(path, Long, CancellationToken.None));
            thread.Start();
            Assert.True(thread.Join(Long));
            remover.Dispose();

            Thread.Sleep(300);
            Assert.False(waiter.IsCompleted, "the waiter must not hold the lock while the newcomer does");
            newcomer!.Dispose();
            using var waited = waiter.Result;
            Assert.True(File.Exists(path));
        }
    }
}
