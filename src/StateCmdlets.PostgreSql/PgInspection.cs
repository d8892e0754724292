using System;
using System.Collections.Generic;
using System.Linq;
using Npgsql;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// Test-BatchState for a batch in PostgreSQL: what the table constraints cannot say alone. The
    /// schema's version; its constraints all validated and its indexes all present and valid (a
    /// missing index makes claims scan finished rows, or lets two items share a name); and the
    /// batch's rows consistent with each other. Reads only.
    /// </summary>
    internal sealed class PgInspection
    {
        private static readonly string[] Indexes = { "item_name", "item_todo", "item_claimed", "applied_request_batch" };

        private readonly PgDatabase _db;
        private readonly PgSchema _schema;
        private readonly NpgsqlConnection _connection;
        private readonly string _batchId;
        private readonly string _address;
        private readonly List<StateProblem> _problems = new List<StateProblem>();

        internal PgInspection(PgDatabase db, PgSchema schema, NpgsqlConnection connection, string batchId, string address)
        {
            _db = db;
            _schema = schema;
            _connection = connection;
            _batchId = batchId;
            _address = address;
        }

        internal IReadOnlyList<StateProblem> Run()
        {
            var version = _schema.ReadVersion(_connection) ?? throw NotFound();
            if (version.Major > PgSchema.Current.Major)
            {
                Problem(StateProblemKind.VersionTooNew, $"The schema '{_db.Schema}' has version {version}, newer than this module understands ({PgSchema.Current}): update StateCmdlets.");
                return _problems;
            }
            foreach (var (table, constraint) in Rows("SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE connamespace = @schema::regnamespace AND NOT convalidated", r => (r.GetString(0), r.GetString(1))))
                Problem(StateProblemKind.SchemaViolation, $"The constraint {constraint} on {table} is not validated: rows may break it.");
            var valid = new HashSet<string>(Rows("SELECT c.relname::text FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relnamespace = @schema::regnamespace AND i.indisvalid", r => r.GetString(0)));
            foreach (string index in Indexes.Where(i => !valid.Contains(i)))
                Problem(StateProblemKind.SchemaViolation, $"The index {_db.Schema}.{index} is missing or invalid.");

            var batch = Rows(_db.Sql("SELECT batch_key, total FROM {s}.batch WHERE batch_id = @id"), r => (Key: r.GetInt64(0), Total: r.GetInt32(1))).ToList();
            if (batch.Count == 0) throw NotFound();
            var (key, total) = batch[0];
            var items = Rows(_db.Sql("SELECT idx, name, depends_on, blocked_by, claim_token FROM {s}.item WHERE batch_key = @key ORDER BY idx"),
                r => (Index: r.GetInt32(0), Name: r.GetString(1), DependsOn: r.GetFieldValue<string[]>(2), BlockedBy: r.IsDBNull(3) ? null : r.GetString(3), Token: r.GetInt64(4)), key).ToList();
            if (items.Count != total) Problem(StateProblemKind.SchemaViolation, $"The batch has {items.Count} item rows, but its total says {total}.");
            for (int i = 0; i < items.Count; i++)
                if (items[i].Index != i)
                {
                    Problem(StateProblemKind.SchemaViolation, $"The items' positions are not 0 to {items.Count - 1}: position {i} holds idx {items[i].Index}.");
                    break;
                }
            var names = new HashSet<string>(items.Select(i => i.Name), StringComparer.Ordinal);
            foreach (var item in items)
            {
                foreach (string on in item.DependsOn.Where(d => !names.Contains(d) || d == item.Name))
                    Problem(StateProblemKind.SchemaViolation, on == item.Name ? $"'{item.Name}' depends on itself." : $"'{item.Name}' depends on '{on}', which is not a feature of the batch.");
                if (item.BlockedBy != null && !names.Contains(item.BlockedBy))
                    Problem(StateProblemKind.SchemaViolation, $"'{item.Name}' is blocked by '{item.BlockedBy}', which is not a feature of the batch.");
            }
            var features = items.Select(i => new Feature(i.Name, i.Index) { DependsOn = i.DependsOn.Where(names.Contains).ToArray() }).ToList();
            var byName = features.GroupBy(f => f.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var cycle = DependencyOrder.FindCycle(features, n => byName[n]);
            if (cycle != null) Problem(StateProblemKind.SchemaViolation, "The dependencies form a cycle: " + string.Join(" -> ", cycle) + ".");
            long highest = items.Count == 0 ? 0 : items.Max(i => i.Token);
            long issued = Rows(_db.Sql("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {s}.claim_token"), r => r.GetInt64(0)).Single();
            if (highest > issued)
                Problem(StateProblemKind.SchemaViolation, $"An item holds the claim token {highest}, above the last the sequence {_db.Schema}.claim_token gave ({issued}): a new claim could get a lower token than an old one.");
            return _problems;
        }

        private void Problem(StateProblemKind kind, string message) => _problems.Add(new StateProblem(_batchId, kind, _address, null, message));

        private BatchNotFoundException NotFound() => new BatchNotFoundException(_batchId, _address, $"No batch '{_batchId}' in {_db.Location}.");

        private IEnumerable<T> Rows<T>(string sql, Func<NpgsqlDataReader, T> read, long key = 0)
        {
            var rows = new List<T>();
            using (var command = new NpgsqlCommand(sql, _connection))
            {
                command.Parameters.Add(new NpgsqlParameter<string>("schema", _db.Schema));
                command.Parameters.Add(new NpgsqlParameter<string>("id", _batchId));
                command.Parameters.Add(new NpgsqlParameter<long>("key", key));
                using (var r = command.ExecuteReader())
                    while (r.Read()) rows.Add(read(r));
            }
            return rows;
        }
    }
}
