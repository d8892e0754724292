using System;
using System.IO;
using System.Net.Sockets;
using Npgsql;

namespace StateCmdlets.PostgreSql
{
    /// <summary>Sorts failures into <see cref="PgFailureKind"/>s by SQLSTATE and socket error, never by message text.</summary>
    internal static class PgFailures
    {
        internal static PgFailureKind Classify(Exception e)
        {
            if (e is OperationCanceledException) return PgFailureKind.Other;
            if (e is PostgresException pg) return ClassifySqlState(pg.SqlState);
            if (e is NpgsqlException npgsql)
            {
                for (var inner = e.InnerException; inner != null; inner = inner.InnerException)
                    if (inner is SocketException socket && (socket.SocketErrorCode == SocketError.HostNotFound || socket.SocketErrorCode == SocketError.NoData))
                        return PgFailureKind.Unavailable;
                // IsTransient: a socket or I/O failure, a timeout (connection refused, reset, server gone).
                return npgsql.IsTransient ? PgFailureKind.Transient : PgFailureKind.Unavailable;
            }
            if (e is TimeoutException || e is IOException || e is SocketException) return PgFailureKind.Transient;
            return PgFailureKind.Other;
        }

        /// <summary>Whether the connection itself is suspect (so the pool's idle ones are too, after a restart).</summary>
        internal static bool BreaksConnections(Exception e) =>
            !(e is PostgresException pg) || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal);

        private static PgFailureKind ClassifySqlState(string state)
        {
            switch (state)
            {
                case "40001": // serialization_failure
                case "40P01": // deadlock_detected
                case "57P01": // admin_shutdown (pg_ctl stop -m fast)
                case "57P02": // crash_shutdown
                case "57P03": // cannot_connect_now (starting up, shutting down, in recovery)
                case "25006": // read_only_sql_transaction (a standby during failover)
                case "55006": // object_in_use
                    return PgFailureKind.Transient;
                case "55P03": // lock_not_available
                    return PgFailureKind.LockTimeout;
                case "28000": // invalid_authorization_specification
                case "28P01": // invalid_password
                case "3D000": // invalid_catalog_name: no such database
                case "42501": // insufficient_privilege
                    return PgFailureKind.Unavailable;
                case "42P01": // undefined_table
                case "3F000": // invalid_schema_name
                    return PgFailureKind.SchemaMissing;
            }
            if (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal)) return PgFailureKind.Transient; // connection exceptions; too many connections, out of memory or disk
            return PgFailureKind.Other;
        }
    }
}
