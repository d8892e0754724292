using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Npgsql;

namespace StateCmdlets.PostgreSql.Tests.Support
{
    /// <summary>
    /// Whether the PostgreSQL tests can run, decided once per run and cheaply (at test discovery):
    /// a server named by STATECMDLETS_TEST_PG or the PG* variables; else PostgreSQL installed in
    /// /usr/lib/postgresql/N/bin, or root with apt-get to install it (tests/Start-TestPostgres.ps1
    /// then makes the server); else the tests are skipped, saying what to install. build.ps1 Test
    /// starts one server for the whole run and names it here, or says why there is none
    /// (STATECMDLETS_TEST_PG_SKIP).
    /// </summary>
    public static class PgAvailability
    {
        private static readonly Lazy<string?> Reason = new Lazy<string?>(Decide);

        [DllImport("libc", EntryPoint = "geteuid")]
        private static extern uint GetEffectiveUserId();

        public static bool IsRoot { get; } = !OperatingSystem.IsWindows() && GetEffectiveUserId() == 0;

        /// <summary>Null when the tests can run; otherwise why not and what to install (the skip reason of every PostgreSQL test).</summary>
        public static string? SkipReason => Reason.Value;

        /// <summary>The throwaway cluster build.ps1 made (its folder, with cluster.json), or null.</summary>
        public static string? NamedCluster => Environment.GetEnvironmentVariable("STATECMDLETS_TEST_PG_CLUSTER") is { Length: > 0 } folder ? folder : null;

        /// <summary>The server the environment names, as an admin connection (no pooling); null when it names none.</summary>
        public static NpgsqlConnectionStringBuilder? ExistingServer()
        {
            string? text = Environment.GetEnvironmentVariable("STATECMDLETS_TEST_PG");
            if (!string.IsNullOrEmpty(text)) return new NpgsqlConnectionStringBuilder(text) { Pooling = false };
            string? host = Environment.GetEnvironmentVariable("PGHOST");
            if (string.IsNullOrEmpty(host)) return null;
            var builder = new NpgsqlConnectionStringBuilder
            {
                Host = host,
                Username = Environment.GetEnvironmentVariable("PGUSER") ?? "postgres",
                Database = Environment.GetEnvironmentVariable("PGDATABASE") ?? "postgres",
                Pooling = false,
            };
            if (int.TryParse(Environment.GetEnvironmentVariable("PGPORT"), out int port)) builder.Port = port;
            string? password = Environment.GetEnvironmentVariable("PGPASSWORD");
            if (!string.IsNullOrEmpty(password)) builder.Password = password;
            return builder;
        }

        private static string? Decide()
        {
            string? skip = Environment.GetEnvironmentVariable("STATECMDLETS_TEST_PG_SKIP");
            if (!string.IsNullOrEmpty(skip)) return skip;
            if (ExistingServer() != null) return null;
            if (Installed()) return null;
            const string advice = "install the Debian package 'postgresql' (apt-get install -y postgresql: initdb and pg_ctl in /usr/lib/postgresql/<version>/bin), or set STATECMDLETS_TEST_PG to the connection string of a server whose user may CREATE DATABASE";
            if (!IsRoot || !File.Exists("/usr/bin/apt-get")) return "PostgreSQL tests SKIPPED: PostgreSQL is not installed and this user cannot install it (not root, or no apt-get); " + advice + ".";
            return null; // tests/Start-TestPostgres.ps1 installs it
        }

        private static bool Installed()
        {
            const string root = "/usr/lib/postgresql";
            return Directory.Exists(root) && Directory.GetDirectories(root)
                .Any(d => File.Exists(Path.Combine(d, "bin", "initdb")) && File.Exists(Path.Combine(d, "bin", "pg_ctl")));
        }
    }
}
