using System;
using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>The heartbeat: each batch renewed on its own lease's rhythm, none held up by another.</summary>
    public sealed class ClaimKeeperTests : IDisposable
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly WorkerIdentity _me = new WorkerIdentity("keeper-test", 1, "s");

        public void Dispose() => _dir.Dispose();

        private FileBatchStore Store() => new FileBatchStore(_dir.State);

        private void Claim(string batchId, double leaseSeconds)
        {
            Store().Create(new BatchDefinition(batchId, new[] { "a" }) { BatchId = batchId }, false, None);
            Store().Claim(batchId, new ClaimRequest(_me, 1) { Lease = TimeSpan.FromSeconds(leaseSeconds) }, None);
        }

        private int Renewals(string batchId) =>
            File.ReadAllText(_dir.File(batchId + ".journal")).Split('\n').Count(line => line.Contains("\"op\":\"renew\""));

        [Fact]
        public void A_long_lease_is_not_renewed_at_the_rhythm_of_a_short_one()
        {
            Claim("short", 1);
            Claim("long", 60);
            using (var keeper = new ClaimKeeper())
            {
                keeper.Track(Store(), "short", _me, TimeSpan.FromSeconds(1));
                keeper.Track(Store(), "long", _me, TimeSpan.FromSeconds(60));
                Thread.Sleep(1600);
                Assert.True(Renewals("short") >= 1, "the 1 s lease was never renewed in 1.6 s");
                Assert.Equal(0, Renewals("long"));
                keeper.ReleaseAll();
            }
            Assert.Equal(0, Store().Load("short").InProgressAt(DateTime.UtcNow));
        }

        [Fact]
        public void A_batch_whose_lock_is_held_holds_up_no_other_batch()
        {
            Claim("stuck", 2);
            Claim("free", 2);
            var held = new Thread(() => { using (PhysicalFileSystem.Instance.AcquireLock(_dir.File("stuck.lock"), TimeSpan.FromSeconds(10), None)) Thread.Sleep(4500); });
            using (var keeper = new ClaimKeeper())
            {
                held.Start();
                Thread.Sleep(100);
                keeper.Track(Store(), "stuck", _me, TimeSpan.FromSeconds(2));
                keeper.Track(Store(), "free", _me, TimeSpan.FromSeconds(2));
                int wakeupsBefore = keeper.Wakeups;
                Thread.Sleep(3500); // 'stuck' waits for its lock all along
                Assert.True(held.IsAlive);
                // A renewal waiting for a lock is not due again: the heartbeat thread sleeps, it does not spin.
                Assert.True(keeper.Wakeups - wakeupsBefore < 50, $"the heartbeat thread woke {keeper.Wakeups - wakeupsBefore} times in 3.5 s");
                Assert.True(Renewals("free") >= 2, $"'free' was renewed {Renewals("free")} times in 3.5 s while 'stuck' waited for its lock");
                Assert.Equal(1, Store().Load("free").InProgressAt(DateTime.UtcNow)); // its claim never ran out
                held.Join();
                keeper.ReleaseAll();
            }
        }
    }
}
