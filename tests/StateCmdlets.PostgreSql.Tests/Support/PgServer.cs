using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Npgsql;

namespace StateCmdlets.PostgreSql.Tests.Support
{
    /// <summary>
    /// The PostgreSQL server of one test run (an xunit collection fixture): the server
    /// STATECMDLETS_TEST_PG (a connection string) or the PG* variables name (build.ps1 Test starts one
    /// throwaway cluster for the whole run and names it so, with its folder in
    /// STATECMDLETS_TEST_PG_CLUSTER), or else a throwaway cluster of this fixture's own, made by
    /// tests/Start-TestPostgres.ps1 (the one place clusters are made, for xunit and Pester alike) and
    /// stopped and deleted at the end. Each test class gets a database of its own.
    /// </summary>
    public sealed class PgServer : IDisposable
    {
        private readonly List<string> _databases = new List<string>();
        private readonly NpgsqlConnectionStringBuilder _admin;
        private readonly string? _cluster;
        private readonly bool _ownCluster;

        public PgServer()
        {
            if (PgAvailability.SkipReason != null) throw new InvalidOperationException(PgAvailability.SkipReason);
            var existing = PgAvailability.ExistingServer();
            if (existing != null)
            {
                _admin = existing;
                _cluster = PgAvailability.NamedCluster;
                return;
            }
            using (var started = JsonDocument.Parse(StartScript()))
            {
                var root = started.RootElement;
                if (root.GetProperty("SkipReason").GetString() is { Length: > 0 } reason) throw new InvalidOperationException(reason);
                _admin = new NpgsqlConnectionStringBuilder(root.GetProperty("ConnectionString").GetString()) { Pooling = false };
                _cluster = root.GetProperty("Cluster").GetString();
                _ownCluster = true;
            }
        }

        /// <summary>Whether the server is a throwaway cluster of the tests (so tests may stop and start it).</summary>
        public bool Throwaway => _cluster != null;

        public NpgsqlConnectionStringBuilder Admin => new NpgsqlConnectionStringBuilder(_admin.ConnectionString);

        private readonly Dictionary<string, string> _shared = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>
        /// The database of one test class, made on first use (CREATE DATABASE costs half a second: its
        /// tests keep apart in schemas of their own, see <see cref="NewSchema"/>).
        /// </summary>
        public string DatabaseFor(string testClass)
        {
            lock (_shared)
            {
                if (!_shared.TryGetValue(testClass, out string? connectionString)) _shared[testClass] = connectionString = CreateDatabase();
                return connectionString;
            }
        }

        /// <summary>A schema name no test used yet.</summary>
        public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N").Substring(0, 16);

        /// <summary>A new empty database; returns its connection string (with the password, as a user's would have).</summary>
        public string CreateDatabase()
        {
            string name = "t_" + Guid.NewGuid().ToString("N").Substring(0, 16);
            using (var connection = new NpgsqlConnection(_admin.ConnectionString))
            {
                connection.Open();
                using (var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection)) command.ExecuteNonQuery();
            }
            lock (_databases) _databases.Add(name);
            var builder = Admin;
            builder.Database = name;
            builder.Pooling = true;
            return builder.ConnectionString;
        }

        /// <summary>Runs SQL as the server's superuser in <paramref name="database"/> (or the admin database).</summary>
        public void Execute(string sql, string? database = null)
        {
            var builder = Admin;
            if (database != null) builder.Database = database;
            using (var connection = new NpgsqlConnection(builder.ConnectionString))
            {
                connection.Open();
                using (var command = new NpgsqlCommand(sql, connection)) command.ExecuteNonQuery();
            }
        }

        public T Scalar<T>(string sql, string? database = null)
        {
            var builder = Admin;
            if (database != null) builder.Database = database;
            using (var connection = new NpgsqlConnection(builder.ConnectionString))
            {
                connection.Open();
                using (var command = new NpgsqlCommand(sql, connection)) return (T)command.ExecuteScalar()!;
            }
        }

        /// <summary>Starts the throwaway cluster again (as cluster.json says).</summary>
        public void Start() => Run(ClusterCommand("Start", null));

        /// <summary>Stops the server: "fast" (sessions ended cleanly) or "immediate" (a crash: recovery on the next start).</summary>
        public void Stop(string mode) => Run(ClusterCommand("Stop", mode));

        public void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            if (_ownCluster)
            {
                try { Stop("fast"); }
                catch (InvalidOperationException) { }
                try { Directory.Delete(_cluster!, recursive: true); }
                catch (IOException) { }
                return;
            }
            foreach (string name in _databases)
                try { Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)"); }
                catch (NpgsqlException) { }
        }

        /// <summary>The command cluster.json gives to start or stop the cluster (MODE: pg_ctl's shutdown mode).</summary>
        private string[] ClusterCommand(string which, string? mode)
        {
            if (_cluster == null) throw new InvalidOperationException("The server is not a throwaway cluster of the tests: it is never stopped or started by them.");
            using (var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(_cluster, "cluster.json"))))
                return info.RootElement.GetProperty(which).EnumerateArray().Select(e => e.GetString() == "MODE" ? mode! : e.GetString()!).ToArray();
        }

        /// <summary>tests/Start-TestPostgres.ps1 in a pwsh of the repository's tool manifest; its JSON line.</summary>
        private static string StartScript()
        {
            string repo = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(repo, "build.ps1"))) repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("The repository (build.ps1) was not found above " + AppContext.BaseDirectory);
            string script = Path.Combine(repo, "tests", "Start-TestPostgres.ps1");
            string pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            string? pwsh = Environment.GetEnvironmentVariable("STATECMDLETS_TEST_PWSH");
            var command = pwsh is { Length: > 0 }
                ? new[] { pwsh, "-NoProfile", "-NonInteractive", "-File", script, "-OwnerProcessId", pid, "-Json" }
                : new[] { "dotnet", "pwsh", "-NoProfile", "-NonInteractive", "-File", script, "-OwnerProcessId", pid, "-Json" };
            string output = Run(command, repo);
            return output.Split('\n').Select(l => l.Trim()).Last(l => l.StartsWith("{", StringComparison.Ordinal));
        }

        private static string Run(string[] command, string? workingDirectory = null)
        {
            var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? Path.GetTempPath() };
            foreach (string arg in command.Skip(1)) info.ArgumentList.Add(arg);
            using (var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {command[0]}."))
            {
                // pg_ctl start leaves the server holding inherited pipes: read to the end only what is ours.
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(300_000)) throw new InvalidOperationException($"{string.Join(" ", command)} did not finish in 5 minutes.");
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"{string.Join(" ", command)} failed (exit code {process.ExitCode}): {Finished(stderr)} {Finished(stdout)}");
                return Finished(stdout);
            }
        }

        private static string Finished(System.Threading.Tasks.Task<string> output) => output.Wait(2000) ? output.Result.Trim() : string.Empty;
    }
}
