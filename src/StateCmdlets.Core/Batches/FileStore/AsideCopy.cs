using StateCmdlets.Core.Storage;
using static StateCmdlets.Core.Batches.FileStore.FileOperation;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// A durable copy of a damaged file before it is replaced. A copy, not a rename: until the
    /// atomic replacement, the original stays where it was, so a crash never leaves the batch missing.
    /// </summary>
    internal static class AsideCopy
    {
        internal static string Make(IFileSystem fs, string path, System.DateTime utcNow)
        {
            string aside = AuxiliaryFiles.CorruptCopyOf(path, utcNow);
            byte[] bytes = Guard(path, "read", () => fs.ReadAllBytes(path));
            Guard(aside, "write", () => AtomicFile.Write(fs, aside, bytes));
            return aside;
        }
    }
}
