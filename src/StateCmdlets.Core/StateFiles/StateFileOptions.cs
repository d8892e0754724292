using System;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>How a <see cref="StateFileStore"/> reaches the disk; defaults suit real use.</summary>
    internal sealed class StateFileOptions
    {
        public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

        public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;

        public IFileSystem FileSystem { get; set; } = PhysicalFileSystem.Instance;

        /// <summary>The clock that names a migration's extra backups; tests set it.</summary>
        public Func<DateTime> UtcNow { get; set; } = () => DateTime.UtcNow;

        /// <summary>Receives one line per lock taken and file written (the cmdlets' -Verbose).</summary>
        public Action<string>? Trace { get; set; }
    }
}
