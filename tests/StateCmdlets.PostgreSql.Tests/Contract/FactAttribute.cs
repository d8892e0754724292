namespace StateCmdlets.Core.Tests.Contract
{
    /// <summary>
    /// The contract's [Fact], here: the linked BatchStoreContract.cs sits in this namespace, so its
    /// [Fact] finds this class before Xunit's, and every contract test is skipped (saying what to
    /// install) when there is no PostgreSQL to run it against. The file store's run is unchanged.
    /// </summary>
    public sealed class FactAttribute : Xunit.FactAttribute
    {
        public FactAttribute()
        {
            if (PostgreSql.Tests.Support.PgAvailability.SkipReason != null) Skip = PostgreSql.Tests.Support.PgAvailability.SkipReason;
        }
    }
}
