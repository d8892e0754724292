using System;
using StateCmdlets.Core;
using Xunit;

namespace StateCmdlets.PostgreSql.Tests
{
    /// <summary>How a store is named: no server needed, nothing connects until the first operation.</summary>
    public sealed class PgConnectionStringTests
    {
        [Fact]
        public void A_uri_names_host_port_database_and_schema_and_its_location_holds_no_secret()
        {
            var store = new PgBatchStore("postgresql://ops:s%40cret-9@db1:6543/automation?schema=work&sslmode=disable");
            Assert.Equal("postgresql://db1:6543/automation?schema=work", store.Location);
            Assert.Equal("postgresql://db1:6543/automation?schema=work#patch-1", store.Address("patch-1"));
            Assert.Equal("work", store.Schema);
            var builder = PgConnectionString.Parse("postgresql://ops:s%40cret-9@db1:6543/automation", out string? schema);
            Assert.Null(schema);
            Assert.Equal("ops", builder.Username);
            Assert.Equal("s@cret-9", builder.Password);
            Assert.Equal("automation", builder.Database);
        }

        [Fact]
        public void A_connection_string_gives_the_default_schema_or_its_search_path_and_never_shows_the_password()
        {
            var store = new PgBatchStore("Host=db1;Port=5433;Database=automation;Username=ops;Password=hunter2");
            Assert.Equal("postgresql://db1:5433/automation?schema=statecmdlets", store.Location);
            Assert.DoesNotContain("hunter2", store.Address("b1"));
            Assert.Equal("ops_state", new PgBatchStore("Host=db1;Database=automation;Search Path=ops_state,public").Schema);
            Assert.Equal("mine", new PgBatchStore("Host=db1;Database=automation;Search Path=ops_state", new PgStoreOptions { Schema = "mine" }).Schema);
        }

        [Fact]
        public void A_socket_folder_as_host_is_escaped_in_the_location()
        {
            var store = new PgBatchStore("Host=/var/run/postgresql;Database=automation");
            Assert.Equal("postgresql://%2Fvar%2Frun%2Fpostgresql:5432/automation?schema=statecmdlets", store.Location);
        }

        [Fact]
        public void Bad_names_are_refused_before_anything_connects()
        {
            Assert.Throws<ArgumentException>(() => new PgBatchStore("Host=db1", new PgStoreOptions { Schema = "Drop Table" }));
            Assert.Throws<ArgumentException>(() => new PgBatchStore("postgresql://db1/x?no_such_keyword=1"));
            Assert.Throws<ArgumentException>(() => new PgBatchStore("postgresql://db1:port/x"));
            var error = Assert.Throws<InvalidBatchIdException>(() => new PgBatchStore("Host=db1").Address("../etc"));
            Assert.Equal(StateErrorIds.InvalidBatchId, error.ErrorId);
        }
    }
}
