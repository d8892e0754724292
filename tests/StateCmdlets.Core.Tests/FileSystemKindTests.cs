using StateCmdlets.Core.Storage;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class FileSystemKindTests
    {
        private static readonly string[] Mounts =
        {
            "/dev/vda1 / ext4 rw,relatime 0 0",
            "server:/export /mnt/nfs nfs4 rw,relatime,vers=4.2 0 0",
            "//filer/share /mnt/smb cifs rw 0 0",
            "/dev/vdb1 /mnt/nfs/local xfs rw 0 0",
            "tmpfs /mnt/with\\040space tmpfs rw 0 0",
        };

        [Theory]
        [InlineData("/home/me/.local/state/StateCmdlets", null)]
        [InlineData("/mnt/nfs/batches", "nfs4")]
        [InlineData("/mnt/nfs", "nfs4")]
        [InlineData("/mnt/smb/x", "cifs")]
        [InlineData("/mnt/nfs/local/batches", null)] // a local disk mounted inside the share: the longest mount point wins
        [InlineData("/mnt/nfsother", null)]
        [InlineData("/mnt/with space/x", null)]
        public void Finds_the_mount_that_holds_a_folder(string path, string? network)
        {
            Assert.Equal(network, FileSystemKind.NetworkTypeOf(path, Mounts));
        }
    }
}
