using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Npgsql;
using StateCmdlets.Core;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// The module's own schema in the database (default <c>statecmdlets</c>): made on first use and
    /// migrated step by step like the file formats, its version in the one-row table
    /// <c>schema_version</c>. Creation and migration run in one transaction under
    /// <c>pg_advisory_xact_lock</c>, so two first runs at once do not race (the second finds the
    /// work done); DDL is transactional in PostgreSQL, so a failed step leaves nothing half made.
    /// A schema whose major version is newer than this module's is refused, untouched.
    /// </summary>
    internal sealed class PgSchema
    {
        internal static readonly SchemaVersion Current = new SchemaVersion(1, 0, 0);

        /// <summary>Databases (by location) whose schema this process found current: checked once per process.</summary>
        private static readonly ConcurrentDictionary<string, SchemaVersion> Known = new ConcurrentDictionary<string, SchemaVersion>(StringComparer.Ordinal);

        /// <summary>Each step from one version to the next; the first makes everything from nothing.</summary>
        private static readonly IReadOnlyList<(SchemaVersion From, SchemaVersion To, string Description, string Sql)> Steps = new[]
        {
            (new SchemaVersion(0, 0, 0), new SchemaVersion(1, 0, 0), "Creates the tables batch, item and applied_request and the sequence claim_token.", Create100),
        };

        private readonly PgDatabase _db;

        internal PgSchema(PgDatabase db) => _db = db;

        /// <summary>
        /// The schema's version once it is usable: made or migrated first when <paramref name="create"/>;
        /// otherwise null when nothing was ever stored (no schema yet). A newer major is refused.
        /// </summary>
        internal SchemaVersion? Ensure(NpgsqlConnection connection, bool create)
        {
            if (Known.TryGetValue(_db.Location, out var known)) return known;
            var found = ReadVersion(connection);
            if (found.HasValue && Usable(found.Value)) return Remember(found.Value);
            if (found == null && !create) return null;
            using (var tx = connection.BeginTransaction())
            {
                Execute(connection, tx, "SELECT pg_advisory_xact_lock(@key)", ("key", LockKey()));
                found = ReadVersion(connection, tx);
                if (found.HasValue && Usable(found.Value))
                {
                    tx.Commit();
                    return Remember(found.Value);
                }
                var version = found ?? new SchemaVersion(0, 0, 0);
                foreach (var step in Steps)
                {
                    if (step.From != version) continue;
                    _db.Trace?.Invoke($"Schema {_db.Schema} in {_db.Describe()}: {step.From} -> {step.To}: {step.Description}");
                    Execute(connection, tx, _db.Sql(step.Sql));
                    version = step.To;
                }
                if (version != Current)
                    throw new StateVersionTooNewException(_db.Location, (found ?? version).ToString(), Current.ToString(),
                        $"The StateCmdlets schema '{_db.Schema}' in {_db.Location} has version {found}, which this module cannot migrate to {Current}. Nothing was changed.");
                Execute(connection, tx, _db.Sql("INSERT INTO {s}.schema_version (version) VALUES (@v) ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, migrated_at = now()"), ("v", Current.ToString()));
                tx.Commit();
                return Remember(Current);
            }
        }

        /// <summary>What migrating from <paramref name="from"/> does, one line per step.</summary>
        internal static IReadOnlyList<string> Describe(SchemaVersion from)
        {
            var lines = new List<string>();
            foreach (var step in Steps)
                if (!(step.From < from)) lines.Add($"{step.From} -> {step.To}: {step.Description}");
            return lines;
        }

        /// <summary>Check every database again on next use (tests that change a schema's version by hand).</summary>
        internal static void ForgetAll() => Known.Clear();

        /// <summary>Check again on next use (the schema was dropped or changed under this process).</summary>
        internal void Forget() => Known.TryRemove(_db.Location, out _);

        /// <summary>The version in the database now, or null when there is no schema_version table.</summary>
        internal SchemaVersion? ReadVersion(NpgsqlConnection connection, NpgsqlTransaction? tx = null)
        {
            // The catalog itself, not to_regclass: a name lookup may answer from this session's cache
            // of "no such table", made before another session's migration committed.
            using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = @s AND c.relname = 'schema_version')", connection, tx))
            {
                exists.Parameters.AddWithValue("s", _db.Schema);
                if (!(bool)exists.ExecuteScalar()!) return null;
            }
            using (var read = new NpgsqlCommand(_db.Sql("SELECT version FROM {s}.schema_version"), connection, tx))
            {
                string? text = read.ExecuteScalar() as string;
                if (text == null) return null;
                if (!SchemaVersion.TryParse(text, out var version))
                    throw new StateFileCorruptException(_db.Location, null, $"the table {_db.Schema}.schema_version holds '{text}', which is not a major.minor.patch version.");
                return version;
            }
        }

        /// <summary>Current, or a newer minor (minor versions only add); a newer major is refused here.</summary>
        private bool Usable(SchemaVersion version)
        {
            if (version.Major > Current.Major)
                throw new StateVersionTooNewException(_db.Location, version.ToString(), Current.ToString(),
                    $"The StateCmdlets schema '{_db.Schema}' in {_db.Location} has version {version}, newer than this module understands ({Current}). Update StateCmdlets; nothing was changed.");
            return version.Major == Current.Major && !(version < Current);
        }

        private SchemaVersion Remember(SchemaVersion version)
        {
            Known[_db.Location] = version;
            return version;
        }

        /// <summary>The advisory lock's key: FNV-1a of the schema's name, so each schema has its own.</summary>
        private long LockKey()
        {
            ulong hash = 14695981039346656037UL;
            foreach (byte b in Encoding.UTF8.GetBytes("StateCmdlets schema " + _db.Schema))
            {
                hash ^= b;
                hash *= 1099511628211UL;
            }
            return unchecked((long)hash);
        }

        private static void Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params (string Name, object Value)[] parameters)
        {
            using (var command = new NpgsqlCommand(sql, connection, tx))
            {
                foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
                command.ExecuteNonQuery();
            }
        }

        // {s} is the schema. Names are what an operator would look for with psql.
        private const string Create100 = @"
CREATE SCHEMA IF NOT EXISTS {s};
COMMENT ON SCHEMA {s} IS 'StateCmdlets batches (PowerShell module): one row per batch, one per work item. Changed by the module only.';
CREATE TABLE {s}.schema_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version text NOT NULL,
    migrated_at timestamptz NOT NULL DEFAULT now()
);
-- Fencing tokens. A sequence only grows (nextval never goes back, not even on rollback), so every
-- claim of every batch gets a higher token than any before it, without a row lock to serialize on.
CREATE SEQUENCE {s}.claim_token AS bigint;
CREATE TABLE {s}.batch (
    batch_key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id text NOT NULL UNIQUE CHECK (batch_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    name text NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    total integer NOT NULL CHECK (total >= 0),
    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
    max_consecutive_failures integer NOT NULL CHECK (max_consecutive_failures >= 0),
    retry_delay interval NOT NULL CHECK (retry_delay >= interval '0'),
    max_retry_delay interval NOT NULL CHECK (max_retry_delay >= interval '0'),
    context_token_limit bigint NOT NULL CHECK (context_token_limit >= 1),
    lease interval NOT NULL CHECK (lease BETWEEN interval '1 second' AND interval '1 day'),
    permanent_error_types text[] NOT NULL DEFAULT '{}',
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    -- The context estimate is the sum of the items' context_tokens less this (their sum at the last clear).
    context_base numeric NOT NULL DEFAULT 0,
    context_clears jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(context_clears) = 'array'),
    checkpoint_count integer NOT NULL DEFAULT 0 CHECK (checkpoint_count >= 0),
    last_checkpoint_at timestamptz,
    extensions json,
    -- The request that created it: a retry after a lost commit finds its own batch, not a clash.
    create_request uuid
);
CREATE TABLE {s}.item (
    batch_key bigint NOT NULL REFERENCES {s}.batch ON DELETE CASCADE,
    idx integer NOT NULL CHECK (idx >= 0),
    name text NOT NULL CHECK (name <> ''),
    status text NOT NULL DEFAULT 'Pending' CHECK (status IN ('Pending', 'Completed', 'Failed', 'Skipped')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error text,
    completed_at timestamptz,
    updated_at timestamptz,
    data json,
    permanent boolean NOT NULL DEFAULT false,
    retry_at timestamptz,
    blocked_by text,
    depends_on text[] NOT NULL DEFAULT '{}',
    context_tokens bigint NOT NULL DEFAULT 0 CHECK (context_tokens >= 0),
    -- The last claim's token (kept when the claim ends, for fencing); 0: never claimed.
    claim_token bigint NOT NULL DEFAULT 0 CHECK (claim_token >= 0),
    claimed_host text,
    claimed_pid integer,
    claimed_session text,
    claimed_at timestamptz,
    lease_expires_at timestamptz,
    -- The claim request that took it: a retry after a lost commit gets these items back.
    claim_request uuid,
    PRIMARY KEY (batch_key, idx),
    CONSTRAINT item_claim_whole CHECK (
        (claimed_host IS NULL) = (claimed_pid IS NULL) AND (claimed_host IS NULL) = (claimed_session IS NULL)
        AND (claimed_host IS NULL) = (claimed_at IS NULL) AND (claimed_host IS NULL) = (lease_expires_at IS NULL))
);
-- Names may be 1024 characters of any script: longer than a b-tree entry may be, so the index holds their md5.
CREATE UNIQUE INDEX item_name ON {s}.item (batch_key, md5(name));
-- What is left to do, in batch order: claims scan this, never the finished rows.
CREATE INDEX item_todo ON {s}.item (batch_key, idx) WHERE status IN ('Pending', 'Failed');
-- The claims of one worker: heartbeats and releases.
CREATE INDEX item_claimed ON {s}.item (batch_key, claimed_host, claimed_pid, claimed_session) WHERE claimed_host IS NOT NULL;
-- Requests whose change committed: a retry after a lost commit looks its id up instead of writing twice.
CREATE TABLE {s}.applied_request (
    request_id uuid PRIMARY KEY,
    batch_key bigint NOT NULL REFERENCES {s}.batch ON DELETE CASCADE,
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applied_request_batch ON {s}.applied_request (batch_key);
";
    }
}
