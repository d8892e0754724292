using System.Runtime.InteropServices;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// sync(2) between timed slices, untimed: whatever one method left for the kernel to write back
    /// (or discard) is paid before the next method's clock starts, not inside it.
    /// </summary>
    internal static class DiskSync
    {
        [DllImport("libc", EntryPoint = "sync")]
        private static extern void SyncAll();

        internal static void FlushAll()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) SyncAll();
        }
    }
}
