using System;
using System.Net;

namespace StateCmdlets.PostgreSql
{
    /// <summary>How a <see cref="PgBatchStore"/> reaches its database; defaults suit real use.</summary>
    internal sealed class PgStoreOptions
    {
        public const string DefaultSchema = "statecmdlets";

        public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(30);

        /// <summary>
        /// The module's own schema. Null: the first entry of the connection string's Search Path,
        /// else <see cref="DefaultSchema"/>.
        /// </summary>
        public string? Schema { get; set; }

        /// <summary>
        /// How long one operation may wait: for a row or advisory lock, and for the server, while
        /// transient failures (connection refused, admin shutdown, serialization failure) are retried.
        /// </summary>
        public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;

        /// <summary>
        /// A user name and password that override the connection string's (a PSCredential's, say).
        /// Otherwise the password comes from the connection string, PGPASSWORD or ~/.pgpass, as Npgsql finds it.
        /// </summary>
        public NetworkCredential? Credential { get; set; }

        /// <summary>Receives one line per retry and per schema change (the cmdlets' -Verbose); never a password.</summary>
        public Action<string>? Trace { get; set; }
    }
}
