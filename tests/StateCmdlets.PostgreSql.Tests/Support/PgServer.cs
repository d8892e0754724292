using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Npgsql;

namespace StateCmdlets.PostgreSql.Tests.Support
{
    /// <summary>
    /// The PostgreSQL server of one test run (an xunit collection fixture): a throwaway cluster made
    /// by initdb in a temporary folder, listening on 127.0.0.1 at a free port and on a Unix socket in
    /// that folder only, run as the postgres system user when the tests run as root (PostgreSQL
    /// refuses root); or the existing server that STATECMDLETS_TEST_PG (a connection string) or the
    /// PG* variables name. Each test gets a database of its own. Stopped and deleted at the end.
    /// </summary>
    public sealed class PgServer : IDisposable
    {
        private readonly List<string> _databases = new List<string>();
        private readonly string? _folder;
        private readonly string? _bin;
        private readonly int _port;
        private readonly NpgsqlConnectionStringBuilder _admin;

        public PgServer()
        {
            if (PgAvailability.SkipReason != null) throw new InvalidOperationException(PgAvailability.SkipReason);
            var existing = PgAvailability.ExistingServer();
            if (existing != null)
            {
                _admin = existing;
                return;
            }
            _bin = PgAvailability.BinFolder ?? throw new InvalidOperationException("initdb was not found.");
            ReapOrphans();
            _folder = Path.Combine(Path.GetTempPath(), FolderPrefix + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(_folder);
            File.WriteAllText(Path.Combine(_folder, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            string password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            File.WriteAllText(Path.Combine(_folder, "pwfile"), password + "\n");
            if (PgAvailability.IsRoot) Run("chown", "-R", "postgres:postgres", _folder);
            // Password logins over TCP (the tests of a wrong password need them); the socket trusts.
            AsServer("initdb", "-D", DataFolder, "-U", "postgres", "--pwfile=" + Path.Combine(_folder, "pwfile"), "-E", "UTF8", "--no-locale",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync");
            _port = FreePort();
            Start();
            _admin = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = _port,
                Username = "postgres",
                Password = password,
                Database = "postgres",
                Pooling = false,
            };
        }

        private const string FolderPrefix = "statecmdlets-pg-";
        private const string OwnerFile = "owner.pid";

        /// <summary>Whether this run made the cluster itself (so tests may stop and start it).</summary>
        public bool Throwaway => _folder != null;

        public NpgsqlConnectionStringBuilder Admin => new NpgsqlConnectionStringBuilder(_admin.ConnectionString);

        private string DataFolder => Path.Combine(_folder!, "data");

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

        public void Start() =>
            AsServer("pg_ctl", "-D", DataFolder, "-l", Path.Combine(_folder!, "server.log"), "-w", "-t", "60", "-o",
                $"-c listen_addresses=127.0.0.1 -c port={_port} -c unix_socket_directories={_folder} -c max_connections=200 -c shared_buffers=32MB", "start");

        /// <summary>Stops the server: "fast" (sessions ended cleanly) or "immediate" (a crash: recovery on the next start).</summary>
        public void Stop(string mode) => AsServer("pg_ctl", "-D", DataFolder, "-m", mode, "-w", "-t", "60", "stop");

        public void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            if (_folder == null)
            {
                foreach (string name in _databases)
                    try { Execute($"DROP DATABASE IF EXISTS {name} WITH (FORCE)"); }
                    catch (NpgsqlException) { }
                return;
            }
            try { Stop("fast"); }
            catch (InvalidOperationException) { }
            try { Directory.Delete(_folder, recursive: true); }
            catch (IOException) { }
        }

        /// <summary>
        /// Clusters of earlier runs whose test process died before it could stop them (a crashed test
        /// host runs no Dispose): stopped and deleted, so servers never pile up.
        /// </summary>
        private void ReapOrphans()
        {
            foreach (string folder in Directory.GetDirectories(Path.GetTempPath(), FolderPrefix + "*"))
            {
                string owner = Path.Combine(folder, OwnerFile);
                if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                if (Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture))) continue;
                try
                {
                    if (File.Exists(Path.Combine(folder, "data", "postmaster.pid"))) AsServer("pg_ctl", "-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop");
                }
                catch (InvalidOperationException)
                {
                    // Not running after all (a stale postmaster.pid): nothing to stop.
                }
                try { Directory.Delete(folder, recursive: true); }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }

        private void AsServer(string program, params string[] args)
        {
            string path = Path.Combine(_bin!, program);
            if (PgAvailability.IsRoot) Run("runuser", new[] { "-u", "postgres", "--", path }.Concat(args).ToArray());
            else Run(path, args);
        }

        private static void Run(string program, params string[] args)
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
            foreach (string arg in args) info.ArgumentList.Add(arg);
            using (var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}."))
            {
                // pg_ctl start leaves the server holding inherited pipes: read to the end only what is ours.
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(120_000)) throw new InvalidOperationException($"{program} {string.Join(" ", args)} did not finish in 2 minutes.");
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"{program} {string.Join(" ", args)} failed (exit code {process.ExitCode}): {Finished(stderr)} {Finished(stdout)}");
            }
        }

        private static string Finished(System.Threading.Tasks.Task<string> output) => output.Wait(2000) ? output.Result.Trim() : string.Empty;

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }
    }
}
