using StateCmdlets.Core.Batches;
using StateCmdlets.PostgreSql;
using StateCmdlets.PostgreSql.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests.Contract
{
    /// <summary>The store contract, run against PostgreSQL: a database for the class, a fresh schema of the module per test.</summary>
    [Collection(PgCollection.Name)]
    public sealed class PgBatchStoreContractTests : BatchStoreContract
    {
        private readonly string _connectionString;
        private readonly string _schema = PgServer.NewSchema();

        public PgBatchStoreContractTests(PgServer server) => _connectionString = server.DatabaseFor(nameof(PgBatchStoreContractTests));

        /// <summary>A new client each time, as another process (or machine) would connect.</summary>
        private protected override IBatchStore Store() => new PgBatchStore(_connectionString, new PgStoreOptions { Schema = _schema });
    }
}
