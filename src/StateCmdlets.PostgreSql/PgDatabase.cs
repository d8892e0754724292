using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// The database a store speaks to: one pooled data source per connection string (shared by every
    /// store object of the process), the module's schema in it, and how to name both in messages
    /// (host, port, database, schema: never the password).
    /// </summary>
    internal sealed class PgDatabase
    {
        private static readonly ConcurrentDictionary<string, NpgsqlDataSource> Sources = new ConcurrentDictionary<string, NpgsqlDataSource>(StringComparer.Ordinal);

        // Unquoted identifiers only: the name goes into DDL and every statement.
        private static readonly Regex SchemaPattern = new Regex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant);

        internal PgDatabase(string connectionString, PgStoreOptions options)
        {
            var builder = PgConnectionString.Parse(connectionString, out string? uriSchema);
            // What Npgsql would take from the environment, said here so Location names it.
            builder.Host ??= Environment.GetEnvironmentVariable("PGHOST") is { Length: > 0 } host ? host : "localhost";
            if (!PortGiven(builder))
                if (int.TryParse(Environment.GetEnvironmentVariable("PGPORT"), NumberStyles.None, CultureInfo.InvariantCulture, out int port)) builder.Port = port;
            builder.Username ??= Environment.GetEnvironmentVariable("PGUSER") is { Length: > 0 } user ? user : null;
            builder.Database ??= Environment.GetEnvironmentVariable("PGDATABASE") is { Length: > 0 } db ? db : builder.Username;
            if (options.Credential != null)
            {
                if (!string.IsNullOrEmpty(options.Credential.UserName)) builder.Username = options.Credential.UserName;
                builder.Password = options.Credential.Password;
            }
            builder.ApplicationName ??= "StateCmdlets";
            // Connecting counts against the lock timeout like every other wait.
            int timeoutSeconds = (int)Math.Max(1, Math.Ceiling(options.LockTimeout.TotalSeconds));
            if (builder.Timeout > timeoutSeconds) builder.Timeout = timeoutSeconds;
            // Row and advisory lock waits end with the lock timeout (55P03), never hang. A startup
            // option, so the pool's connection reset keeps it.
            long lockMs = (long)Math.Max(1, options.LockTimeout.TotalMilliseconds);
            builder.Options = ((builder.Options ?? string.Empty) + " -c lock_timeout=" + lockMs.ToString(CultureInfo.InvariantCulture)).Trim();

            // Every operation takes a pooled connection; the store keeps no session state of its own (an
            // open transaction is still rolled back when a connection goes back), so the pool's reset
            // (DISCARD ALL, a statement and a transaction on the server for every call) is not needed,
            // and the statements it sends again and again stay prepared on the connection.
            if (!Given(builder, "No Reset On Close", "NoResetOnClose")) builder.NoResetOnClose = true;
            if (!Given(builder, "Max Auto Prepare", "MaxAutoPrepare")) builder.MaxAutoPrepare = 32;

            string schema = options.Schema ?? uriSchema ?? FirstOf(builder.SearchPath) ?? PgStoreOptions.DefaultSchema;
            if (!SchemaPattern.IsMatch(schema))
                throw new ArgumentException($"'{schema}' is not a schema name StateCmdlets uses: 1 to 63 lower-case letters, digits or '_', starting with a letter or '_'.", nameof(options));
            Schema = schema;
            Host = builder.Host!;
            Port = builder.Port;
            DatabaseName = builder.Database ?? string.Empty;
            Username = builder.Username;
            LockTimeout = options.LockTimeout;
            Trace = options.Trace;
            Location = "postgresql://" + string.Join(",", Host.Split(',').Select(EscapeHost)) + (Host.Contains(':') && !Host.Contains('/') ? string.Empty : ":" + Port.ToString(CultureInfo.InvariantCulture))
                + "/" + Uri.EscapeDataString(DatabaseName) + "?schema=" + schema;
            string key = builder.ConnectionString;
            Source = Sources.GetOrAdd(key, k => NpgsqlDataSource.Create(k));
        }

        internal NpgsqlDataSource Source { get; }

        /// <summary>Closes every pooled connection of the process (tests, which make a database each).</summary>
        internal static void CloseAll()
        {
            foreach (string key in Sources.Keys)
                if (Sources.TryRemove(key, out var source)) source.Dispose();
        }

        /// <summary>The module's schema, unquoted (it is a plain lower-case identifier).</summary>
        internal string Schema { get; }

        internal string Host { get; }

        internal int Port { get; }

        internal string DatabaseName { get; }

        internal string? Username { get; }

        internal TimeSpan LockTimeout { get; }

        internal Action<string>? Trace { get; }

        /// <summary>postgresql://host:port/database?schema=name: what names the store, with no secret in it.</summary>
        internal string Location { get; }

        /// <summary>A statement template with <c>{s}</c> standing for the schema.</summary>
        internal string Sql(string template) => template.Replace("{s}", Schema, StringComparison.Ordinal);

        /// <summary>Who and where, for messages: user@host:port/database (no password).</summary>
        internal string Describe() =>
            (Username != null ? Username + "@" : string.Empty) + Host + (Host.Contains(':') && !Host.Contains('/') ? string.Empty : ":" + Port.ToString(CultureInfo.InvariantCulture)) + "/" + DatabaseName;

        /// <summary>A port in the text itself (the builder's string holds only what was set), or with the host as host:port.</summary>
        private static bool PortGiven(NpgsqlConnectionStringBuilder builder) =>
            builder.ConnectionString.Split(';').Any(p => p.TrimStart().StartsWith("Port=", StringComparison.OrdinalIgnoreCase)) || (builder.Host != null && builder.Host.Contains(':') && !builder.Host.Contains('/'));

        /// <summary>Whether the connection string itself sets this keyword (then it is the user's choice).</summary>
        private static bool Given(NpgsqlConnectionStringBuilder builder, params string[] keywords) =>
            builder.ConnectionString.Split(';').Any(p => keywords.Any(k => p.TrimStart().StartsWith(k + "=", StringComparison.OrdinalIgnoreCase)));

        private static string? FirstOf(string? searchPath)
        {
            if (string.IsNullOrWhiteSpace(searchPath)) return null;
            string first = searchPath!.Split(',')[0].Trim().Trim('"');
            return first.Length == 0 || first == "$user" ? null : first;
        }

        private static string EscapeHost(string host)
        {
            if (host.IndexOf('/') < 0) return host;
            var escaped = new StringBuilder();
            foreach (char c in host) escaped.Append(c == '/' ? "%2F" : c.ToString());
            return escaped.ToString();
        }
    }
}
