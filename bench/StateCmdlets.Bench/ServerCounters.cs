using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using Npgsql;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// What the PostgreSQL server did, read before and after a run: transactions committed in the
    /// bench's database (pg_stat_database), WAL records, bytes and fsyncs (pg_stat_wal, the whole
    /// cluster), and, for a server on this machine, the CPU time of the postmaster and all its
    /// processes (/proc). The statistics reach those views at most once a second per backend; the
    /// workers force theirs out at the end of a run (see <see cref="ClaimWorkerChild"/>).
    /// </summary>
    internal sealed class ServerCounters
    {
        private ServerCounters(long commits, long walRecords, long walBytes, long walSyncs, IReadOnlyDictionary<int, long>? cpuTicks)
        {
            Commits = commits;
            WalRecords = walRecords;
            WalBytes = walBytes;
            WalSyncs = walSyncs;
            CpuTicks = cpuTicks;
        }

        internal long Commits { get; }

        internal long WalRecords { get; }

        internal long WalBytes { get; }

        /// <summary>WAL fsyncs (issue_xlog_fsync) of every process of the server: with several committers, one covers many commits.</summary>
        internal long WalSyncs { get; }

        /// <summary>user + system clock ticks of each server process, by pid; null when the server is not a local process.</summary>
        private IReadOnlyDictionary<int, long>? CpuTicks { get; }

        [DllImport("libc", EntryPoint = "sysconf")]
        private static extern long SysConf(int name);

        private const int ClockTicksName = 2; // _SC_CLK_TCK on Linux

        /// <summary>Reads the counters; <paramref name="postmaster"/> is the server's pid on this machine, or null.</summary>
        internal static ServerCounters Read(NpgsqlConnection admin, string database, int? postmaster)
        {
            using var command = new NpgsqlCommand(
                "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = @db), wal_records, wal_bytes::bigint, wal_sync FROM pg_stat_wal", admin);
            command.Parameters.AddWithValue("db", database);
            using var r = command.ExecuteReader();
            r.Read();
            return new ServerCounters(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), postmaster.HasValue ? Ticks(postmaster.Value) : null);
        }

        /// <summary>The postmaster of the backend serving <paramref name="admin"/>, when it runs on this machine.</summary>
        internal static int? Postmaster(NpgsqlConnection admin)
        {
            using var command = new NpgsqlCommand("SELECT pg_backend_pid()", admin);
            int backend = (int)command.ExecuteScalar()!;
            var stat = Stat(backend);
            if (stat == null || !Comm(backend).StartsWith("postgres", StringComparison.Ordinal)) return null;
            return stat.Value.Parent;
        }

        /// <summary>CPU ms the server spent between <paramref name="before"/> and this reading (processes that exited in between are not counted); null when unknown.</summary>
        internal double? CpuMillisecondsSince(ServerCounters before)
        {
            if (CpuTicks == null || before.CpuTicks == null) return null;
            long ticks = 0;
            foreach (var (pid, now) in CpuTicks) ticks += now - (before.CpuTicks.TryGetValue(pid, out long then) && then <= now ? then : 0);
            long perSecond = SysConf(ClockTicksName);
            return ticks * 1000.0 / (perSecond > 0 ? perSecond : 100);
        }

        private static Dictionary<int, long> Ticks(int postmaster)
        {
            var ticks = new Dictionary<int, long>();
            foreach (string folder in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                var stat = Stat(pid);
                if (stat != null && (pid == postmaster || stat.Value.Parent == postmaster)) ticks[pid] = stat.Value.Ticks;
            }
            return ticks;
        }

        /// <summary>Parent pid and utime + stime of /proc/pid/stat (fields 4, 14 and 15; the name in field 2 may hold spaces).</summary>
        private static (int Parent, long Ticks)? Stat(int pid)
        {
            string text;
            try { text = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
            var fields = text.Substring(text.LastIndexOf(')') + 2).Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }

        private static string Comm(int pid)
        {
            try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
            catch (IOException) { return string.Empty; }
        }
    }
}
