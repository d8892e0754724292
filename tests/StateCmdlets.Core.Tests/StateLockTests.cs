using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
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
        public void A_waiter_that_opened_the_lock_file_before_it_was_deleted_does_not_share_the_lock_with_a_newcomer()
        {
            if (!UnixMode.Applies) return;
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            using var opened = new ManualResetEventSlim();
            using var go = new ManualResetEventSlim();
            var remover = StateLock.Acquire(path, Long, CancellationToken.None);
            int waiterThread = 0;
            // Hold the waiter between its open of the (old) lock file and its flock.
            StateLock.BetweenOpenAndLock = p =>
            {
                if (p != path || Environment.CurrentManagedThreadId != Volatile.Read(ref waiterThread)) return;
                opened.Set();
                go.Wait();
            };
            try
            {
                StateLock? waited = null;
                var waiter = new Thread(() => waited = StateLock.Acquire(path, Long, CancellationToken.None));
                Volatile.Write(ref waiterThread, waiter.ManagedThreadId);
                waiter.Start();
                Assert.True(opened.Wait(Long));
                Volatile.Write(ref waiterThread, -1); // only its first open is held up

                remover.DeleteFile();
                StateLock? newcomer = null;
                var other = new Thread(() => newcomer = StateLock.Acquire(path, Long, CancellationToken.None));
                other.Start();
                Assert.True(other.Join(Long));
                remover.Dispose(); // the old file's lock is free now: the waiter's flock on it succeeds
                go.Set();

                Assert.False(waiter.Join(300), "the waiter took a lock on the deleted file while the newcomer held the new one");
                newcomer!.Dispose();
                Assert.True(waiter.Join(Long));
                waited!.Dispose();
            }
            finally
            {
                StateLock.BetweenOpenAndLock = null;
                go.Set();
            }
        }

        [Fact]
        public void After_the_lock_file_is_deleted_a_waiter_and_a_newcomer_never_hold_the_lock_together()
        {
            if (!UnixMode.Applies) return;
            using var dir = new TempDirectory();
            string path = Path.Combine(dir.Root, "b.lock");
            // Many rounds, so the waiter sometimes has the old file open when it is deleted (then it
            // must notice and start over) and sometimes opens the new one.
            for (int round = 0; round < 20; round++)
            {
                var intervals = new System.Collections.Concurrent.ConcurrentBag<(string Who, long From, long To)>();
                var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
                var clock = Stopwatch.StartNew();
                Thread Holder(string who) => new Thread(() =>
                {
                    try
                    {
                        using var held = StateLock.Acquire(path, Long, CancellationToken.None);
                        long from = clock.ElapsedTicks;
                        Thread.Sleep(30);
                        intervals.Add((who, from, clock.ElapsedTicks));
                    }
                    catch (Exception e)
                    {
                        errors.Add(e);
                    }
                });

                var remover = StateLock.Acquire(path, Long, CancellationToken.None);
                var waiter = Holder("waiter");
                waiter.Start();
                Thread.Sleep(round % 5 * 3);
                remover.DeleteFile();
                var newcomer = Holder("newcomer");
                newcomer.Start();
                Thread.Sleep(round % 3 * 5);
                remover.Dispose();
                Assert.True(waiter.Join(Long) && newcomer.Join(Long), "a thread never got the lock");

                Assert.Empty(errors);
                var both = intervals.OrderBy(i => i.From).ToArray();
                Assert.Equal(2, both.Length);
                Assert.True(both[0].To <= both[1].From, $"round {round}: {both[0].Who} and {both[1].Who} held the lock at the same time");
            }
        }
    }
}
