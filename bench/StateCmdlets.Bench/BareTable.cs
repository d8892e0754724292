namespace StateCmdlets.Bench
{
    /// <summary>
    /// The table of the bare-UPDATE worker rows, in the bench's database (public schema, outside
    /// the store's): a row per worker process, keyed by its pid, so workers never wait on each
    /// other's row locks, only on the WAL as the store's workers do.
    /// </summary>
    internal static class BareTable
    {
        internal const string Create = "CREATE TABLE IF NOT EXISTS public.bench_bare_workers (id integer PRIMARY KEY, n bigint NOT NULL)";

        internal const string Insert = "INSERT INTO public.bench_bare_workers VALUES (@id, 0) ON CONFLICT (id) DO NOTHING";

        internal const string Update = "UPDATE public.bench_bare_workers SET n = n + 1 WHERE id = @id";
    }
}
