using System;
using System.Management.Automation;
using StateCmdlets.Core.StateFiles;

namespace StateCmdlets
{
    /// <summary>Base of the state-file commands that write, and so take the file's lock.</summary>
    public abstract class LockingStateFileCmdletBase : StateFileCmdletBase
    {
        /// <summary>Seconds to wait for another process holding the file's lock (default 30).</summary>
        [Parameter]
        [ValidateRange(0.0, 86400.0)]
        public double LockTimeout { get; set; } = StateFileOptions.DefaultLockTimeout.TotalSeconds;

        protected override TimeSpan EffectiveLockTimeout => TimeSpan.FromSeconds(LockTimeout);
    }
}
