using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Data.Sqlite;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The anchor with several writers: SQLite in WAL mode with synchronous=FULL (as
    /// <see cref="SqliteMethod"/>), one connection per thread, one transaction per update
    /// (BEGIN IMMEDIATE, the UPDATE, COMMIT). SQLite lets one writer in at a time and has no group
    /// commit between connections: each commit is its own WAL append and fsync; a writer that
    /// finds the lock taken waits in SQLite's own busy handler (busy_timeout, 30 s).
    /// </summary>
    internal sealed class SqliteThreads : IConcurrentMethod
    {
        private readonly string _path;
        private readonly IReadOnlyList<string> _names;
        private readonly SqliteConnection?[] _connections;
        private readonly SqliteCommand?[] _updates;

        internal SqliteThreads(string folder, int writers, int results, int round)
        {
            _path = Path.Combine(folder, $"sqlite-threads-{writers}-{round}.db");
            Writers = writers;
            Results = results;
            _names = FeatureNames.For(results);
            _connections = new SqliteConnection?[writers];
            _updates = new SqliteCommand?[writers];
        }

        public string Name => Writers == 1 ? ConcurrencyMethods.Sqlite : ConcurrencyMethods.SqliteThreads;

        public int Writers { get; }

        public int Results { get; }

        public long? Fsyncs => null;

        public void Prepare()
        {
            for (int w = 0; w < Writers; w++)
            {
                var connection = _connections[w] = Open();
                if (w == 0)
                {
                    Expect(Scalar(connection, "PRAGMA journal_mode=WAL;"), "wal");
                    Scalar(connection, "CREATE TABLE features (name TEXT PRIMARY KEY, status TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT);");
                    using var transaction = connection.BeginTransaction();
                    using var insert = connection.CreateCommand();
                    insert.Transaction = transaction;
                    insert.CommandText = "INSERT INTO features (name, status, attempts) VALUES ($name, 'Pending', 0);";
                    var name = insert.Parameters.Add("$name", SqliteType.Text);
                    foreach (string feature in _names)
                    {
                        name.Value = feature;
                        insert.ExecuteNonQuery();
                    }
                    transaction.Commit();
                }
                // Per connection: synchronous and the busy timeout are not stored in the file.
                Scalar(connection, "PRAGMA synchronous=FULL;");
                Expect(Scalar(connection, "PRAGMA synchronous;"), "2");
                Expect(Scalar(connection, "PRAGMA journal_mode;"), "wal");
                Scalar(connection, "PRAGMA busy_timeout=30000;");
                var update = _updates[w] = connection.CreateCommand();
                update.CommandText = "UPDATE features SET status = 'Completed', attempts = attempts + 1, error = NULL WHERE name = $name;";
                update.Parameters.Add("$name", SqliteType.Text);
            }
        }

        public void Write(int writer)
        {
            var connection = _connections[writer]!;
            var update = _updates[writer]!;
            var name = update.Parameters[0];
            for (int i = writer; i < Results; i += Writers)
            {
                // BeginTransaction() is BEGIN IMMEDIATE: the write lock is taken (or waited for) first.
                using var transaction = connection.BeginTransaction();
                update.Transaction = transaction;
                name.Value = _names[i];
                if (update.ExecuteNonQuery() != 1) throw new InvalidOperationException($"No row '{_names[i]}' in {_path}.");
                transaction.Commit();
            }
        }

        public void VerifyAndClean()
        {
            string completed = Scalar(_connections[0]!, "SELECT count(*) FROM features WHERE status = 'Completed' AND attempts = 1;");
            Dispose();
            if (completed != Results.ToString(System.Globalization.CultureInfo.InvariantCulture))
                throw new InvalidOperationException($"{completed} of {Results} rows completed once in {_path}.");
            foreach (string suffix in new[] { "", "-wal", "-shm" }) File.Delete(_path + suffix);
        }

        public void Dispose()
        {
            for (int w = 0; w < Writers; w++)
            {
                _updates[w]?.Dispose();
                _updates[w] = null;
                _connections[w]?.Dispose();
                _connections[w] = null;
            }
        }

        private SqliteConnection Open()
        {
            // No pooling: the file is deleted afterwards, so the connections must really close.
            var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
            connection.Open();
            return connection;
        }

        private static string Scalar(SqliteConnection connection, string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        }

        private void Expect(string actual, string expected)
        {
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"SQLite answered '{actual}', not '{expected}' in {_path}: the anchor would not be WAL with synchronous=FULL.");
        }
    }
}
