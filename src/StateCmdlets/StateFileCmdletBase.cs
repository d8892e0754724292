using System;
using System.Management.Automation;
using StateCmdlets.Core;
using StateCmdlets.Core.StateFiles;

namespace StateCmdlets
{
    /// <summary>
    /// What the state-file commands share: the store, and advice worded for files. They have no
    /// -StateDirectory: a state file is wherever its path says (resolved by <see cref="CancellableCmdlet.Paths"/>).
    /// </summary>
    public abstract class StateFileCmdletBase : CancellableCmdlet
    {
        private StateFileStore? _store;

        /// <summary>Lock timeout for the store; commands that lock override it with their parameter.</summary>
        protected virtual TimeSpan EffectiveLockTimeout => StateFileOptions.DefaultLockTimeout;

        private protected StateFileStore Store => _store ??= new StateFileStore(new StateFileOptions { LockTimeout = EffectiveLockTimeout, Trace = TraceQuietly });

        protected override ErrorRecord ToErrorRecord(StateException exception, object? target) => ErrorRecordFactory.FromStateFile(exception, target);
    }
}
