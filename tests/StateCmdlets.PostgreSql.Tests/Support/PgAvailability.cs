using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Npgsql;

namespace StateCmdlets.PostgreSql.Tests.Support
{
    /// <summary>
    /// Whether the PostgreSQL tests can run, decided once per run: a server named by
    /// STATECMDLETS_TEST_PG or the PG* variables; else the newest PostgreSQL installed in
    /// /usr/lib/postgresql/N/bin; else, as root, the Debian package installed now with apt-get; else
    /// the tests are skipped, saying what to install.
    /// </summary>
    public static class PgAvailability
    {
        private static readonly Lazy<string?> Reason = new Lazy<string?>(Decide);

        [DllImport("libc", EntryPoint = "geteuid")]
        private static extern uint GetEffectiveUserId();

        public static bool IsRoot { get; } = !OperatingSystem.IsWindows() && GetEffectiveUserId() == 0;

        /// <summary>Null when the tests can run; otherwise why not and what to install (the skip reason of every PostgreSQL test).</summary>
        public static string? SkipReason => Reason.Value;

        /// <summary>initdb's folder, newest version first.</summary>
        public static string? BinFolder { get; private set; }

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
            if (ExistingServer() != null) return null;
            BinFolder = FindBinaries();
            if (BinFolder != null) return null;
            const string advice = "install the Debian package 'postgresql' (apt-get install -y postgresql: initdb and pg_ctl in /usr/lib/postgresql/<version>/bin), or set STATECMDLETS_TEST_PG to the connection string of a server whose user may CREATE DATABASE";
            if (!IsRoot) return "PostgreSQL tests SKIPPED: PostgreSQL is not installed and this user is not root; " + advice + ".";
            Console.Error.WriteLine("PostgreSQL is not installed: installing the Debian package 'postgresql' with apt-get for the tests...");
            if (!AptInstall()) return "PostgreSQL tests SKIPPED: apt-get install -y postgresql failed; " + advice + ".";
            BinFolder = FindBinaries();
            return BinFolder != null ? null : "PostgreSQL tests SKIPPED: apt-get installed postgresql, but no initdb is in /usr/lib/postgresql/*/bin; " + advice + ".";
        }

        private static string? FindBinaries()
        {
            const string root = "/usr/lib/postgresql";
            if (!Directory.Exists(root)) return null;
            return Directory.GetDirectories(root)
                .Select(d => (Folder: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out int v) ? v : -1))
                .Where(x => x.Version >= 0 && File.Exists(Path.Combine(x.Folder, "initdb")) && File.Exists(Path.Combine(x.Folder, "pg_ctl")))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Folder)
                .FirstOrDefault();
        }

        private static bool AptInstall()
        {
            // A fresh machine may have no package lists yet: install, and on failure update and try once more.
            return Apt("install", "-y", "postgresql") || (Apt("update") && Apt("install", "-y", "postgresql"));
        }

        private static bool Apt(params string[] args)
        {
            try
            {
                var info = new ProcessStartInfo("apt-get") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
                foreach (string arg in args) info.ArgumentList.Add(arg);
                using (var process = Process.Start(info)!)
                {
                    process.StandardOutput.ReadToEndAsync();
                    string error = process.StandardError.ReadToEnd();
                    process.WaitForExit();
                    if (process.ExitCode != 0) Console.Error.WriteLine($"apt-get {string.Join(" ", args)} failed: {error.Trim()}");
                    return process.ExitCode == 0;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false;
            }
        }
    }
}
