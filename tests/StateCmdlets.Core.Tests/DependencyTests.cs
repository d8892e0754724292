using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore.Schema;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Tests.Support;
using StateCmdlets.Core.Versioning;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class DependencyTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private static Dictionary<string, IReadOnlyList<string>> Deps(params (string Feature, string[] On)[] pairs) =>
            pairs.ToDictionary(p => p.Feature, p => (IReadOnlyList<string>)p.On);

        private static Batch Make(string[] features, Dictionary<string, IReadOnlyList<string>> deps) =>
            Batch.Create("b1", new BatchDefinition("deps", features) { Dependencies = deps }, DateTime.UtcNow, BatchSchema.Current);

        private FileBatchStore Store() => new FileBatchStore(_dir.State, new FileStoreOptions { FileSystem = new FaultyFileSystem() });

        [Fact]
        public void Resume_order_puts_every_feature_after_what_it_depends_on_and_keeps_batch_order_otherwise()
        {
            var batch = Make(new[] { "web", "x", "app", "cache", "db" }, Deps(("app", new[] { "db" }), ("web", new[] { "app", "cache" })));
            Assert.Equal(new[] { "x", "cache", "db", "app", "web" }, batch.RemainingInOrder(true).Select(f => f.Name));
        }

        [Fact]
        public void A_cycle_is_refused_naming_it()
        {
            var error = Assert.Throws<InvalidBatchDefinitionException>(() => Make(new[] { "a", "b", "c" }, Deps(("a", new[] { "b" }), ("b", new[] { "c" }), ("c", new[] { "a" }))));
            Assert.Equal("DependencyCycle", error.ErrorId);
            Assert.Contains("a -> b -> c -> a", error.Message);
            Assert.Equal("DependencyCycle", Assert.Throws<InvalidBatchDefinitionException>(() => Make(new[] { "a" }, Deps(("a", new[] { "a" })))).ErrorId);
        }

        [Fact]
        public void An_unknown_name_is_refused()
        {
            Assert.Equal("UnknownDependency", Assert.Throws<InvalidBatchDefinitionException>(() => Make(new[] { "a" }, Deps(("a", new[] { "zz" })))).ErrorId);
            Assert.Equal("UnknownDependency", Assert.Throws<InvalidBatchDefinitionException>(() => Make(new[] { "a" }, Deps(("zz", new[] { "a" })))).ErrorId);
        }

        [Fact]
        public void A_dependent_waits_for_its_dependency_then_is_ready_and_survives_a_reload()
        {
            Store().Create(new BatchDefinition("deps", new[] { "db", "app" }) { BatchId = "b1", Dependencies = Deps(("app", new[] { "db" })) }, false, CancellationToken.None);
            Assert.Equal(ReadinessKind.Waiting, Store().ReadinessOf("b1", "app", true, CancellationToken.None).Kind);
            Store().Record("b1", new FeatureResult("db", FeatureStatus.Completed), CancellationToken.None);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "app", true, CancellationToken.None).Kind);
            Assert.Equal(new[] { "db" }, Store().Load("b1").Find("app")!.DependsOn);
        }

        [Fact]
        public void A_feature_whose_dependency_failed_for_good_is_skipped_with_the_reason_and_so_are_its_dependents()
        {
            Store().Create(new BatchDefinition("deps", new[] { "db", "app", "web", "other" })
            {
                BatchId = "b1",
                Dependencies = Deps(("app", new[] { "db" }), ("web", new[] { "app" })),
            }, false, CancellationToken.None);
            Store().Record("b1", new FeatureResult("db", FeatureStatus.Failed, "disk full") { Permanent = true }, CancellationToken.None);

            var app = Store().ReadinessOf("b1", "app", true, CancellationToken.None);
            Assert.Equal(ReadinessKind.Blocked, app.Kind);
            Assert.Contains("'db'", app.Reason);
            Assert.Equal(ReadinessKind.Blocked, Store().ReadinessOf("b1", "web", true, CancellationToken.None).Kind);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "other", true, CancellationToken.None).Kind);

            var batch = Store().Load("b1");
            Assert.Equal(FeatureStatus.Skipped, batch.Find("app")!.Status);
            Assert.StartsWith("Skipped because 'db' did not complete", batch.Find("app")!.LastError);
            Assert.Equal(FeatureStatus.Skipped, batch.Find("web")!.Status);
        }

        [Fact]
        public void A_dependency_the_script_skipped_itself_does_not_block()
        {
            Store().Create(new BatchDefinition("deps", new[] { "db", "app" }) { BatchId = "b1", Dependencies = Deps(("app", new[] { "db" })) }, false, CancellationToken.None);
            Store().Record("b1", new FeatureResult("db", FeatureStatus.Skipped, "already there"), CancellationToken.None);
            Assert.Equal(ReadinessKind.Ready, Store().ReadinessOf("b1", "app", true, CancellationToken.None).Kind);
        }
    }
}
