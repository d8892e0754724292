using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Npgsql;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;
using StateCmdlets.PostgreSql.Tests.Support;
using Xunit;

namespace StateCmdlets.PostgreSql.Tests
{
    /// <summary>A server that cannot be used: StateStoreUnavailable naming the host, never the password; fast when waiting cannot help.</summary>
    [Collection(PgCollection.Name)]
    public sealed class PgUnavailableTests
    {
        private const string WrongPassword = "Wr0ng-Secret-4711";
        private readonly PgServer _server;

        public PgUnavailableTests(PgServer server) => _server = server;

        private static StateStoreUnavailableException Refused(PgBatchStore store, TimeSpan within)
        {
            var clock = Stopwatch.StartNew();
            var error = Assert.Throws<StateStoreUnavailableException>(() => store.Create(new BatchDefinition("x", new[] { "a" }) { BatchId = "b1" }, replace: false, CancellationToken.None));
            Assert.True(clock.Elapsed < within, $"took {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(StateErrorIds.StateStoreUnavailable, error.ErrorId);
            Assert.Equal(StateErrorCategory.ResourceUnavailable, error.Category);
            Assert.Equal(store.Location, error.Location);
            return error;
        }

        [PgFact]
        public void A_wrong_password_fails_at_once_naming_the_host_and_not_the_password()
        {
            var builder = new NpgsqlConnectionStringBuilder(_server.DatabaseFor(nameof(PgUnavailableTests))) { Password = WrongPassword };
            string realPassword = _server.Admin.Password!;
            var error = Refused(new PgBatchStore(builder.ConnectionString), TimeSpan.FromSeconds(5));
            Assert.Contains(builder.Host!, error.Message);
            Assert.Contains("28P01", error.Message);
            foreach (string text in new[] { error.Message, error.ToString() })
            {
                Assert.DoesNotContain(WrongPassword, text);
                Assert.DoesNotContain(realPassword, text);
            }

            var uri = $"postgresql://postgres:{WrongPassword}@{builder.Host}:{builder.Port}/{builder.Database}";
            var fromUri = Refused(new PgBatchStore(uri), TimeSpan.FromSeconds(5));
            Assert.DoesNotContain(WrongPassword, fromUri.ToString());
        }

        [PgFact]
        public void An_unknown_host_fails_at_once()
        {
            var error = Refused(new PgBatchStore("Host=no-such-host.invalid;Database=x;Username=ops;Password=" + WrongPassword, new PgStoreOptions { LockTimeout = TimeSpan.FromSeconds(5) }), TimeSpan.FromSeconds(10));
            Assert.Contains("no-such-host.invalid", error.Message);
            Assert.DoesNotContain(WrongPassword, error.ToString());
        }

        [PgFact]
        public void A_refused_connection_is_retried_for_the_lock_timeout_then_reported()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop(); // nothing listens there now: connections are refused
            var clock = Stopwatch.StartNew();
            var error = Refused(new PgBatchStore($"Host=127.0.0.1;Port={port};Database=x;Username=ops", new PgStoreOptions { LockTimeout = TimeSpan.FromSeconds(1.5) }), TimeSpan.FromSeconds(10));
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.4), $"gave up after {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.Contains("still failing", error.Message);
            Assert.Contains($"127.0.0.1:{port}", error.Message);
        }
    }
}
