using System;
using System.Linq;
using System.Threading;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.PostgreSql.Tests.Support;
using Xunit;

namespace StateCmdlets.PostgreSql.Tests
{
    /// <summary>The module's schema: made on first write, versioned, one migration at a time, newer ones refused.</summary>
    [Collection(PgCollection.Name)]
    public sealed class PgSchemaTests
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private readonly PgTestSchema _db;

        public PgSchemaTests(PgServer server) => _db = new PgTestSchema(server, nameof(PgSchemaTests));

        private bool SchemaExists() => _db.Scalar<bool>("SELECT to_regnamespace('{s}') IS NOT NULL");

        [PgFact]
        public void Reading_makes_nothing_and_the_first_write_makes_the_schema_at_the_current_version()
        {
            var store = _db.Store();
            Assert.False(store.LocationExists);
            Assert.Empty(store.ListBatchIds());
            Assert.False(store.Exists("b1"));
            Assert.Throws<BatchNotFoundException>(() => store.Load("b1"));
            Assert.False(SchemaExists());

            store.Create(new BatchDefinition("first", new[] { "a" }) { BatchId = "b1" }, replace: false, None);
            Assert.True(SchemaExists());
            Assert.True(store.LocationExists);
            Assert.Equal(PgSchema.Current.ToString(), _db.Scalar<string>("SELECT version FROM {s}.schema_version"));
            Assert.Equal(3L, _db.Scalar<long>("SELECT count(*) FROM pg_tables WHERE schemaname = '{s}' AND tablename IN ('batch', 'item', 'applied_request')"));
            Assert.Equal(1L, _db.Scalar<long>("SELECT count(*) FROM {s}.item"));
            Assert.Equal(PgSchema.Current, store.InspectVersion("b1").FromVersion);
        }

        [PgFact]
        public void Two_first_runs_at_once_make_the_schema_once_and_both_go_on()
        {
            const int runs = 6;
            using (var start = new Barrier(runs))
            {
                var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
                var threads = Enumerable.Range(0, runs).Select(i => new Thread(() =>
                {
                    try
                    {
                        var store = _db.Store();
                        start.SignalAndWait();
                        store.Create(new BatchDefinition("run " + i, new[] { "a", "b" }) { BatchId = "run" + i }, replace: false, None);
                    }
                    catch (Exception e)
                    {
                        errors.Add(e);
                    }
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
                Assert.Empty(errors);
            }
            Assert.Equal(Enumerable.Range(0, runs).Select(i => "run" + i), _db.Store().ListBatchIds());
            Assert.Equal(1L, _db.Scalar<long>("SELECT count(*) FROM {s}.schema_version"));
        }

        [PgFact]
        public void A_schema_of_a_newer_major_version_is_refused_and_left_alone_a_newer_minor_is_read()
        {
            _db.Store().Create(new BatchDefinition("old", new[] { "a" }) { BatchId = "b1" }, replace: false, None);
            _db.Execute("UPDATE {s}.schema_version SET version = '2.0.0'");
            PgSchema.ForgetAll();
            var store = _db.Store();
            var error = Assert.Throws<StateVersionTooNewException>(() => store.Load("b1"));
            Assert.Equal(StateErrorIds.StateVersionTooNew, error.ErrorId);
            Assert.Equal("2.0.0", error.FileVersion);
            Assert.Contains(_db.Name, error.Message);
            Assert.Throws<StateVersionTooNewException>(() => store.Create(new BatchDefinition("new", new[] { "a" }) { BatchId = "b2" }, replace: false, None));
            Assert.Throws<StateVersionTooNewException>(() => store.InspectVersion("b1"));
            Assert.Equal(StateProblemKind.VersionTooNew, Assert.Single(store.Inspect("b1")).Kind);
            Assert.Equal("2.0.0", _db.Scalar<string>("SELECT version FROM {s}.schema_version"));

            _db.Execute("UPDATE {s}.schema_version SET version = '1.7.0'");
            PgSchema.ForgetAll();
            Assert.Equal("b1", _db.Store().Load("b1").BatchId);
        }

        [PgFact]
        public void Inspect_finds_rows_changed_by_hand_and_a_missing_index_and_repair_changes_nothing()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("deps", new[] { "a", "b" }) { BatchId = "b1" }, replace: false, None);
            Assert.Empty(store.Inspect("b1"));
            _db.Execute("UPDATE {s}.item SET depends_on = '{ghost}' WHERE name = 'b'; DROP INDEX {s}.item_todo");
            var problems = store.Inspect("b1");
            Assert.All(problems, p => Assert.Equal(StateProblemKind.SchemaViolation, p.Kind));
            Assert.Contains(problems, p => p.Message.Contains("'ghost'"));
            Assert.Contains(problems, p => p.Message.Contains("item_todo"));
            Assert.Equal(store.Address("b1"), problems[0].Path);

            var report = store.Repair("b1", None);
            Assert.Equal(problems.Count, report.Problems.Count);
            Assert.NotEmpty(report.Lost);
            Assert.Empty(report.Actions);
            Assert.Equal("{ghost}", _db.Scalar<string>("SELECT depends_on::text FROM {s}.item WHERE name = 'b'"));
        }

        [PgFact]
        public void A_batch_removed_takes_its_items_and_request_log_and_nothing_else()
        {
            var store = _db.Store();
            store.Create(new BatchDefinition("x", new[] { "a", "b" }) { BatchId = "b1" }, replace: false, None);
            store.Create(new BatchDefinition("y", new[] { "a" }) { BatchId = "b2" }, replace: false, None);
            store.Record("b1", new FeatureResult("a", FeatureStatus.Completed), None);
            Assert.Equal(new[] { store.Address("b1") }, store.Remove("b1", None));
            Assert.Equal(1L, _db.Scalar<long>("SELECT count(*) FROM {s}.item"));
            Assert.Equal(0L, _db.Scalar<long>("SELECT count(*) FROM {s}.applied_request"));
        }
    }
}
