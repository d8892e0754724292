using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;
using StateCmdlets.Core.StateFiles;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Runs any script block while holding a state file's cross-process lock (F.lock, the lock
    /// Save-StateFile and Update-StateFile take), and releases it however the block ends.
    /// </summary>
    [Cmdlet(VerbsOther.Use, "StateLock")]
    [OutputType(typeof(PSObject))]
    public sealed class UseStateLockCommand : StateFileCmdletBase
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("LiteralPath", "PSPath")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = string.Empty;

        [Parameter(Mandatory = true, Position = 1)]
        public ScriptBlock? ScriptBlock { get; set; }

        /// <summary>Seconds to wait for the lock (default 30).</summary>
        [Parameter]
        [Alias("LockTimeout")]
        [ValidateRange(0.0, 86400.0)]
        public double Timeout { get; set; } = StateFileOptions.DefaultLockTimeout.TotalSeconds;

        protected override TimeSpan EffectiveLockTimeout => TimeSpan.FromSeconds(Timeout);

        protected override void ProcessRecord()
        {
            string? file = Paths.FileToWrite(Path);
            if (file == null) return;
            Collection<PSObject>? output = null;
            TryRun(() => output = Store.WithLock(file, () =>
                ScriptBlock!.InvokeWithContext((Dictionary<string, ScriptBlock>?)null, new List<PSVariable> { new PSVariable("_", file) }, file), Cancellation), file);
            // Emitted after the release: the rest of the pipeline never runs under the lock.
            if (output != null) foreach (var item in output) WriteObject(item);
        }
    }
}
