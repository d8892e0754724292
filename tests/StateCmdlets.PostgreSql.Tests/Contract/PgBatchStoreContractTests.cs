using StateCmdlets.Core.Batches;
using StateCmdlets.PostgreSql;
using StateCmdlets.PostgreSql.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests.Contract
{
    /// <summary>The store contract, run against PostgreSQL in a fresh database per test.</summary>
    [Collection(PgCollection.Name)]
    public sealed class PgBatchStoreContractTests : BatchStoreContract
    {
        private readonly string _connectionString;

        public PgBatchStoreContractTests(PgServer server) => _connectionString = server.CreateDatabase();

        /// <summary>A new client each time, as another process (or machine) would connect.</summary>
        protected override IBatchStore Store() => new PgBatchStore(_connectionString);

        public override void Dispose() => PgDatabase.CloseAll();
    }
}
