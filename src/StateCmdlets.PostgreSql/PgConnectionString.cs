using System;
using System.Collections.Generic;
using System.Globalization;
using Npgsql;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// Reads what a user names a database with: an Npgsql connection string
    /// (<c>Host=db1;Database=automation;Username=ops</c>) or a <c>postgresql://</c> URI
    /// (<c>postgresql://ops@db1:5432/automation?schema=statecmdlets</c>), as libpq spells it.
    /// </summary>
    internal static class PgConnectionString
    {
        /// <summary>libpq's URI parameter names that Npgsql spells otherwise.</summary>
        private static readonly Dictionary<string, string> UriKeywords = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["host"] = "Host",
            ["port"] = "Port",
            ["dbname"] = "Database",
            ["user"] = "Username",
            ["password"] = "Password",
            ["sslmode"] = "SSL Mode",
            ["application_name"] = "Application Name",
            ["connect_timeout"] = "Timeout",
            ["options"] = "Options",
            ["target_session_attrs"] = "Target Session Attributes",
            ["sslrootcert"] = "Root Certificate",
            ["sslcert"] = "SSL Certificate",
            ["sslkey"] = "SSL Key",
        };

        /// <summary>Whether <paramref name="text"/> is a URI of ours rather than a keyword=value string.</summary>
        public static bool IsUri(string text) =>
            text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

        /// <summary>
        /// The connection string as a builder; a URI's <c>schema</c> parameter comes back in
        /// <paramref name="schema"/> (null when it names none). Malformed text is an
        /// <see cref="ArgumentException"/> that never repeats a password.
        /// </summary>
        public static NpgsqlConnectionStringBuilder Parse(string text, out string? schema)
        {
            if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("A PostgreSQL connection string or postgresql:// URI is required.", nameof(text));
            schema = null;
            if (!IsUri(text))
            {
                try
                {
                    return new NpgsqlConnectionStringBuilder(text);
                }
                catch (Exception e) when (e is ArgumentException || e is FormatException)
                {
                    // Npgsql's message names the keyword, never the value.
                    throw new ArgumentException("The PostgreSQL connection string is not valid: " + e.Message, nameof(text));
                }
            }
            return ParseUri(text, out schema);
        }

        private static NpgsqlConnectionStringBuilder ParseUri(string text, out string? schema)
        {
            schema = null;
            var builder = new NpgsqlConnectionStringBuilder();
            string rest = text.Substring(text.IndexOf("://", StringComparison.Ordinal) + 3);
            string? query = null;
            int q = rest.IndexOf('?');
            if (q >= 0)
            {
                query = rest.Substring(q + 1);
                rest = rest.Substring(0, q);
            }
            int slash = rest.IndexOf('/');
            string authority = slash >= 0 ? rest.Substring(0, slash) : rest;
            string database = slash >= 0 ? rest.Substring(slash + 1) : string.Empty;
            int at = authority.LastIndexOf('@');
            if (at >= 0)
            {
                string user = authority.Substring(0, at);
                authority = authority.Substring(at + 1);
                int colon = user.IndexOf(':');
                if (colon >= 0)
                {
                    builder.Password = Decode(user.Substring(colon + 1));
                    user = user.Substring(0, colon);
                }
                if (user.Length > 0) builder.Username = Decode(user);
            }
            if (authority.Length > 0)
            {
                var hosts = new List<string>();
                foreach (string part in authority.Split(','))
                {
                    // host, host:port, [v6], [v6]:port
                    string host = part;
                    string? port = null;
                    int close = part.LastIndexOf(']');
                    int colon = part.LastIndexOf(':');
                    if (colon > close)
                    {
                        host = part.Substring(0, colon);
                        port = part.Substring(colon + 1);
                    }
                    if (host.StartsWith("[", StringComparison.Ordinal) && host.EndsWith("]", StringComparison.Ordinal)) host = host.Substring(1, host.Length - 2);
                    if (port != null && !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                        throw new ArgumentException($"The postgresql:// URI has a port that is not a number: '{port}'.", nameof(text));
                    hosts.Add(Decode(host) + (port != null ? ":" + port : string.Empty));
                }
                builder.Host = string.Join(",", hosts);
            }
            if (database.Length > 0) builder.Database = Decode(database);
            if (!string.IsNullOrEmpty(query))
            {
                foreach (string pair in query!.Split('&'))
                {
                    if (pair.Length == 0) continue;
                    int eq = pair.IndexOf('=');
                    string key = Decode(eq >= 0 ? pair.Substring(0, eq) : pair);
                    string value = eq >= 0 ? Decode(pair.Substring(eq + 1)) : string.Empty;
                    if (string.Equals(key, "schema", StringComparison.OrdinalIgnoreCase))
                    {
                        schema = value;
                        continue;
                    }
                    try
                    {
                        builder[UriKeywords.TryGetValue(key, out string? keyword) ? keyword : key] = value;
                    }
                    catch (Exception e) when (e is ArgumentException || e is FormatException)
                    {
                        throw new ArgumentException($"The postgresql:// URI has a parameter '{key}' that Npgsql does not take: {e.Message}", nameof(text));
                    }
                }
            }
            return builder;
        }

        private static string Decode(string text) => Uri.UnescapeDataString(text);
    }
}
