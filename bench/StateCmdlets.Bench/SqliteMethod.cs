using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Data.Sqlite;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The anchor a reviewer would reach for: SQLite in WAL mode with synchronous=FULL (every commit
    /// synced), one row per feature, one transaction per update, every row updated once.
    /// </summary>
    internal sealed class SqliteMethod : IUpdateMethod
    {
        private readonly string _path;
        private readonly IReadOnlyList<string> _names;
        private SqliteConnection? _connection;
        private SqliteCommand? _update;
        private SqliteParameter? _name;

        internal SqliteMethod(string folder, int batchSize)
        {
            _path = Path.Combine(folder, "sqlite-" + batchSize + ".db");
            BatchSize = batchSize;
            _names = FeatureNames.For(batchSize);
        }

        public string Name => Methods.Sqlite;

        public int BatchSize { get; }

        public int Updates => BatchSize;

        public void Prepare()
        {
            // No pooling: the file is deleted afterwards, so the connection must really close.
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
            _connection.Open();
            Expect(Scalar("PRAGMA journal_mode=WAL;"), "wal");
            Scalar("PRAGMA synchronous=FULL;");
            Expect(Scalar("PRAGMA synchronous;"), "2");
            Scalar("CREATE TABLE features (name TEXT PRIMARY KEY, status TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT);");
            using (var transaction = _connection.BeginTransaction())
            using (var insert = _connection.CreateCommand())
            {
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
            _update = _connection.CreateCommand();
            _update.CommandText = "UPDATE features SET status = 'Completed', attempts = attempts + 1, error = NULL WHERE name = $name;";
            _name = _update.Parameters.Add("$name", SqliteType.Text);
        }

        public bool Update(int index)
        {
            using var transaction = _connection!.BeginTransaction();
            _update!.Transaction = transaction;
            _name!.Value = _names[index];
            if (_update.ExecuteNonQuery() != 1) throw new InvalidOperationException($"No row '{_names[index]}' in {_path}.");
            transaction.Commit();
            return false;
        }

        public void VerifyAndClean()
        {
            string completed = Scalar("SELECT count(*) FROM features WHERE status = 'Completed' AND attempts = 1;");
            Dispose();
            if (completed != BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture))
                throw new InvalidOperationException($"{completed} of {BatchSize} rows completed once in {_path}.");
            foreach (string suffix in new[] { "", "-wal", "-shm" }) File.Delete(_path + suffix);
        }

        public void Dispose()
        {
            _update?.Dispose();
            _update = null;
            _connection?.Dispose();
            _connection = null;
        }

        internal static string Version()
        {
            using var connection = new SqliteConnection("Data Source=:memory:");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sqlite_version();";
            return (string)command.ExecuteScalar()!;
        }

        private string Scalar(string sql)
        {
            using var command = _connection!.CreateCommand();
            command.CommandText = sql;
            return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        }

        private void Expect(string actual, string expected)
        {
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"SQLite answered '{actual}', not '{expected}': the anchor would not be WAL with synchronous=FULL.");
        }
    }
}
