using System;
using System.Net;
using System.Runtime.CompilerServices;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
#if !NETFRAMEWORK
using System.Collections.Concurrent;
using StateCmdlets.PostgreSql;
#endif

namespace StateCmdlets
{
    /// <summary>
    /// The one door to the PostgreSQL store. Nothing else in the cmdlets names its types, and these
    /// methods are never inlined into their callers, so the runtime loads StateCmdlets.PostgreSql and
    /// Npgsql (into the module's load context, from bin/net8.0) only when a command opens a
    /// PostgreSQL store: a session that uses only the file store never loads them. The Windows
    /// PowerShell 5.1 build has no Npgsql (it needs .NET 8): there, opening one is StateStoreNotSupported.
    /// </summary>
    internal static class PostgreSqlStores
    {
#if !NETFRAMEWORK
        /// <summary>
        /// How each store opened in this process was reached, by its Location (which holds no user or
        /// password): a BatchState piped on to the next command names only that, and gets the same
        /// connection (password included) back. Objects carry no secret; this process already holds it.
        /// </summary>
        private static readonly ConcurrentDictionary<string, Opened> ByLocation = new ConcurrentDictionary<string, Opened>(StringComparer.Ordinal);
#endif

        /// <summary>
        /// The store <paramref name="locator"/> names (a connection string, a postgresql:// URI, or the
        /// Location of a store opened before). <paramref name="namedBy"/> says what named it, for the
        /// error on a host that cannot use PostgreSQL. Connects only when first used.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static IBatchStore Open(string locator, string? schema, NetworkCredential? credential, TimeSpan lockTimeout, Action<string>? trace, string namedBy)
        {
#if NETFRAMEWORK
            throw new StateStoreNotSupportedException(
                $"{namedBy} names a PostgreSQL store, which needs PowerShell 7.4 or later (Npgsql runs on .NET 8); this is Windows PowerShell. " +
                "Run the command in PowerShell 7.4 or later (pwsh), or use the file store here: -StateDirectory, or no STATECMDLETS_STORE.");
#else
            if (ByLocation.TryGetValue(locator, out var earlier))
            {
                locator = earlier.Locator;
                schema ??= earlier.Schema;
                credential ??= earlier.Credential;
            }
            PgBatchStore store;
            try
            {
                store = new PgBatchStore(locator, new PgStoreOptions { Schema = schema, LockTimeout = lockTimeout, Credential = credential, Trace = trace });
            }
            catch (ArgumentException e)
            {
                // The store's messages name the problem, never the text (it may hold a password).
                throw new InvalidStoreException($"{namedBy} names no usable PostgreSQL store: {e.Message}", e);
            }
            ByLocation[store.Location] = new Opened(locator, store.Schema, credential);
            return store;
#endif
        }

        /// <summary>
        /// Another store on the same database (same connection, schema and lock timeout) for background
        /// work, the claim heartbeat: it has no tracing, which only the pipeline's thread may write.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static IBatchStore Detached(IBatchStore store)
        {
#if NETFRAMEWORK
            throw new InvalidOperationException($"'{store.Location}' is no PostgreSQL store of this process.");
#else
            var pg = (PgBatchStore)store;
            var opened = ByLocation[pg.Location];
            return new PgBatchStore(opened.Locator, new PgStoreOptions { Schema = pg.Schema, LockTimeout = pg.Options.LockTimeout, Credential = opened.Credential });
#endif
        }

#if !NETFRAMEWORK
        private sealed class Opened
        {
            internal Opened(string locator, string schema, NetworkCredential? credential)
            {
                Locator = locator;
                Schema = schema;
                Credential = credential;
            }

            internal string Locator { get; }

            internal string Schema { get; }

            internal NetworkCredential? Credential { get; }
        }
#endif
    }
}
