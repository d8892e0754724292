using System;
using System.Management.Automation;
using StateCmdlets.Core.Batches.FileStore;

namespace StateCmdlets
{
    /// <summary>Base of the commands that change a batch and so take its lock.</summary>
    public abstract class LockingBatchCmdletBase : BatchCmdletBase
    {
        /// <summary>Seconds to wait for another process holding the batch's lock (default 30).</summary>
        [Parameter]
        [ValidateRange(0.0, 86400.0)]
        public double LockTimeout { get; set; } = FileStoreOptions.DefaultLockTimeout.TotalSeconds;

        protected override TimeSpan EffectiveLockTimeout => TimeSpan.FromSeconds(LockTimeout);
    }
}
