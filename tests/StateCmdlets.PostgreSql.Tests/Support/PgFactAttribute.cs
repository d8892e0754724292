using Xunit;

namespace StateCmdlets.PostgreSql.Tests.Support
{
    /// <summary>A test that needs a server: skipped, saying what to install, when there is none.</summary>
    public sealed class PgFactAttribute : FactAttribute
    {
        public PgFactAttribute()
        {
            if (PgAvailability.SkipReason != null) Skip = PgAvailability.SkipReason;
        }
    }

    /// <summary>A test that stops or reconfigures the server: only against the run's own throwaway cluster, never a server it was pointed at.</summary>
    public sealed class PgThrowawayFactAttribute : FactAttribute
    {
        public PgThrowawayFactAttribute()
        {
            if (PgAvailability.SkipReason != null) Skip = PgAvailability.SkipReason;
            else if (PgAvailability.ExistingServer() != null && PgAvailability.NamedCluster == null)
                Skip = "Stops or reconfigures the server: runs only against a throwaway cluster of the tests (STATECMDLETS_TEST_PG or PGHOST names a server they did not make).";
        }
    }
}
