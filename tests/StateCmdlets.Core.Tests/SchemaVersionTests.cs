using System.Collections.Generic;
using System.Text.Json.Nodes;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class SchemaVersionTests
    {
        private sealed class AddField : IMigrationStep
        {
            public AddField(string from, string to, string field)
            {
                From = SchemaVersion.Parse(from);
                To = SchemaVersion.Parse(to);
                Field = field;
            }

            public SchemaVersion From { get; }

            public SchemaVersion To { get; }

            public string Field { get; }

            public string Description => $"{From} to {To} adds {Field}";

            public JsonObject Apply(JsonObject document)
            {
                document[Field] = true;
                return document;
            }
        }

        [Theory]
        [InlineData("1.0.0", 1, 0, 0)]
        [InlineData("10.20.30", 10, 20, 30)]
        public void Parses_major_minor_patch(string text, int major, int minor, int patch)
        {
            var version = SchemaVersion.Parse(text);
            Assert.Equal((major, minor, patch), (version.Major, version.Minor, version.Patch));
            Assert.Equal(text, version.ToString());
        }

        [Theory]
        [InlineData("1.0")]
        [InlineData("1.0.0.0")]
        [InlineData("v1.0.0")]
        [InlineData("1.-1.0")]
        [InlineData("")]
        public void Refuses_anything_else(string text)
        {
            Assert.False(SchemaVersion.TryParse(text, out _));
        }

        [Fact]
        public void Orders_numerically()
        {
            Assert.True(SchemaVersion.Parse("1.10.0") > SchemaVersion.Parse("1.9.0"));
            Assert.True(SchemaVersion.Parse("2.0.0") > SchemaVersion.Parse("1.99.99"));
        }

        [Fact]
        public void Migrator_chains_steps_and_stamps_each_version()
        {
            var migrator = new SchemaMigrator(SchemaVersion.Parse("1.2.0"), new List<IMigrationStep>
            {
                new AddField("1.1.0", "1.2.0", "second"),
                new AddField("1.0.0", "1.1.0", "first"),
            });
            Assert.Equal(MigrationNeed.Migrate, migrator.Assess(SchemaVersion.Parse("1.0.0")));
            var result = migrator.Migrate(new JsonObject { ["schemaVersion"] = "1.0.0" }, SchemaVersion.Parse("1.0.0"));
            Assert.Equal("1.2.0", (string?)result["schemaVersion"]);
            Assert.True((bool)result["first"]!);
            Assert.True((bool)result["second"]!);
        }

        [Fact]
        public void Migrator_reads_newer_minors_refuses_newer_majors_and_unknown_older_versions()
        {
            var migrator = new SchemaMigrator(SchemaVersion.Parse("1.1.0"), new[] { new AddField("1.0.0", "1.1.0", "x") });
            Assert.Equal(MigrationNeed.None, migrator.Assess(SchemaVersion.Parse("1.1.0")));
            Assert.Equal(MigrationNeed.None, migrator.Assess(SchemaVersion.Parse("1.7.3")));
            Assert.Equal(MigrationNeed.TooNew, migrator.Assess(SchemaVersion.Parse("2.0.0")));
            Assert.Equal(MigrationNeed.Unknown, migrator.Assess(SchemaVersion.Parse("0.9.0")));
        }
    }
}
