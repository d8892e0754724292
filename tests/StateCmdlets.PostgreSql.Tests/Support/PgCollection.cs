using Xunit;

namespace StateCmdlets.PostgreSql.Tests.Support
{
    /// <summary>Every PostgreSQL test shares one server per run (and so runs one at a time).</summary>
    [CollectionDefinition(Name)]
    public sealed class PgCollection : ICollectionFixture<PgServer>
    {
        public const string Name = "PostgreSQL";
    }
}
