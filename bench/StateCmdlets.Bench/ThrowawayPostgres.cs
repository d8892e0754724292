using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Npgsql;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The PostgreSQL server of the bench's PostgreSQL rows, made as the store's tests make theirs:
    /// initdb in a folder of the bench's temp folder (so its WAL is on the disk the file store
    /// writes to), listening on 127.0.0.1 at a free port and on a Unix socket in that folder only,
    /// run as the postgres system user when the bench runs as root (PostgreSQL refuses root).
    /// The server's settings are initdb's defaults: what a fresh installation commits with.
    /// Stopped and deleted by <see cref="Dispose"/>. Never installs anything.
    /// </summary>
    internal sealed class ThrowawayPostgres : IDisposable
    {
        private const string Root = "/usr/lib/postgresql";

        private readonly string _folder;
        private readonly string _bin;
        private readonly NpgsqlConnectionStringBuilder _admin;
        private bool _running;

        [DllImport("libc", EntryPoint = "geteuid")]
        private static extern uint GetEffectiveUserId();

        private static bool IsRoot => !OperatingSystem.IsWindows() && GetEffectiveUserId() == 0;

        /// <summary>Why the PostgreSQL rows cannot run here, or null.</summary>
        internal static string? WhyNot()
        {
            if (FindBinaries() != null) return null;
            return "PostgreSQL rows SKIPPED: PostgreSQL is not installed (no initdb and pg_ctl in " + Root + "/*/bin); " +
                "install the Debian package 'postgresql' (apt-get install -y postgresql) and run the bench again.";
        }

        /// <summary>Makes and starts the cluster under <paramref name="parent"/>; throws <see cref="InvalidOperationException"/> saying what failed.</summary>
        internal ThrowawayPostgres(string parent)
        {
            _bin = FindBinaries() ?? throw new InvalidOperationException(WhyNot());
            _folder = Path.Combine(parent, "postgres");
            Directory.CreateDirectory(_folder);
            string password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            string passwordFile = Path.Combine(_folder, "pwfile");
            File.WriteAllText(passwordFile, password + "\n");
            if (IsRoot && !OperatingSystem.IsWindows())
            {
                // The postgres user must reach its folder through the bench's.
                File.SetUnixFileMode(parent, File.GetUnixFileMode(parent) | UnixFileMode.OtherExecute);
                Run("chown", "-R", "postgres:postgres", _folder);
            }
            // Password logins over TCP, as a user on another machine has them; the socket trusts.
            AsServer("initdb", "-D", DataFolder, "-U", "postgres", "--pwfile=" + passwordFile, "-E", "UTF8", "--no-locale",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync");
            File.Delete(passwordFile);
            Port = FreePort();
            AsServer("pg_ctl", "-D", DataFolder, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "-o",
                $"-c listen_addresses=127.0.0.1 -c port={Port} -c unix_socket_directories={_folder}", "start");
            _running = true;
            _admin = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = Port,
                Username = "postgres",
                Password = password,
                Database = "postgres",
                Pooling = false,
            };
        }

        internal int Port { get; }

        internal string DataFolder => Path.Combine(_folder, "data");

        /// <summary>The superuser in the postgres database, unpooled.</summary>
        internal NpgsqlConnectionStringBuilder Admin => new NpgsqlConnectionStringBuilder(_admin.ConnectionString);

        /// <summary>A new empty database; its connection string (pooled, with the password, as a user's would be).</summary>
        internal string CreateDatabase(string name)
        {
            using (var connection = new NpgsqlConnection(_admin.ConnectionString))
            {
                connection.Open();
                using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                command.ExecuteNonQuery();
            }
            var builder = Admin;
            builder.Database = name;
            builder.Pooling = true;
            return builder.ConnectionString;
        }

        public void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            if (_running)
            {
                _running = false;
                try { AsServer("pg_ctl", "-D", DataFolder, "-m", "fast", "-w", "-t", "60", "stop"); }
                catch (InvalidOperationException e) { Console.Error.WriteLine($"Could not stop the bench's PostgreSQL server: {e.Message}"); }
            }
            try { Directory.Delete(_folder, recursive: true); }
            catch (IOException e) { Console.Error.WriteLine($"Could not remove '{_folder}': {e.Message}"); }
        }

        /// <summary>initdb's folder of the newest PostgreSQL installed, or null.</summary>
        private static string? FindBinaries()
        {
            if (!Directory.Exists(Root)) return null;
            return Directory.GetDirectories(Root)
                .Select(d => (Folder: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1))
                .Where(x => x.Version >= 0 && File.Exists(Path.Combine(x.Folder, "initdb")) && File.Exists(Path.Combine(x.Folder, "pg_ctl")))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Folder)
                .FirstOrDefault();
        }

        private void AsServer(string program, params string[] args)
        {
            string path = Path.Combine(_bin, program);
            if (IsRoot) Run("runuser", new[] { "-u", "postgres", "--", path }.Concat(args).ToArray());
            else Run(path, args);
        }

        private static void Run(string program, params string[] args)
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
            foreach (string arg in args) info.ArgumentList.Add(arg);
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
            // pg_ctl start leaves the server holding inherited pipes: wait for the process, not for the pipes' end.
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(120_000)) throw new InvalidOperationException($"{program} {string.Join(" ", args)} did not finish in 2 minutes.");
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{program} {string.Join(" ", args)} failed (exit code {process.ExitCode}): {Finished(stderr)} {Finished(stdout)}");
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
