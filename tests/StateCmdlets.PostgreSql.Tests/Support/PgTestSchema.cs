using System;
using Npgsql;

namespace StateCmdlets.PostgreSql.Tests.Support
{
    /// <summary>One test's place on the server: the test class's database and a schema of the test's own.</summary>
    internal sealed class PgTestSchema
    {
        public PgTestSchema(PgServer server, string testClass)
        {
            Server = server;
            ConnectionString = server.DatabaseFor(testClass);
            Database = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
            Name = PgServer.NewSchema();
        }

        public PgServer Server { get; }

        public string ConnectionString { get; }

        public string Database { get; }

        /// <summary>The module's schema for this test.</summary>
        public string Name { get; }

        public PgBatchStore Store(TimeSpan? lockTimeout = null) =>
            new PgBatchStore(ConnectionString, new PgStoreOptions { Schema = Name, LockTimeout = lockTimeout ?? PgStoreOptions.DefaultLockTimeout });

        /// <summary>SQL as the superuser in the test's database; {s} stands for the schema.</summary>
        public void Execute(string sql) => Server.Execute(sql.Replace("{s}", Name), Database);

        public T Scalar<T>(string sql) => Server.Scalar<T>(sql.Replace("{s}", Name), Database);
    }
}
