using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;

namespace StateCmdlets.Core.Tests.Contract
{
    /// <summary>The store contract, run against the file store in a fresh state directory per test.</summary>
    public sealed class FileBatchStoreContractTests : BatchStoreContract
    {
        private readonly TempDirectory _dir = new TempDirectory();

        /// <summary>A new client each time, as another process would open the same state directory.</summary>
        private protected override IBatchStore Store() => new FileBatchStore(_dir.State);

        public override void Dispose() => _dir.Dispose();
    }
}
