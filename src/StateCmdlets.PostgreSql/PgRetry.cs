using System;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading;
using Npgsql;
using StateCmdlets.Core;

namespace StateCmdlets.PostgreSql
{
    /// <summary>
    /// Runs one operation on a fresh pooled connection, again and again while the database fails in
    /// a way that may pass (a restart, a refused connection, an aborted transaction), with a growing
    /// pause, until the lock timeout is spent: then a <see cref="StateStoreUnavailableException"/>
    /// naming the host. Failures that waiting cannot mend (a refused login, an unknown host) fail at
    /// once the same way; a lock not granted in time is a <see cref="StateLockTimeoutException"/>.
    /// </summary>
    internal static class PgRetry
    {
        private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);
        private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

        internal static T Run<T>(PgDatabase db, PgSchema schema, string what, string address, Func<NpgsqlConnection, PgAttempt, T> operation, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var attempt = new PgAttempt();
            var pause = FirstPause;
            bool schemaChecked = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                attempt.Number++;
                attempt.Reset();
                try
                {
                    using (var connection = db.Source.OpenConnection())
                        return operation(connection, attempt);
                }
                catch (Exception e)
                {
                    var kind = PgFailures.Classify(e);
                    switch (kind)
                    {
                        case PgFailureKind.Other:
                            throw;
                        case PgFailureKind.Unavailable:
                            throw new StateStoreUnavailableException(db.Location, Reason(db, e), e);
                        case PgFailureKind.LockTimeout:
                            throw new StateLockTimeoutException(address, db.LockTimeout, "another session of the database");
                        case PgFailureKind.SchemaMissing:
                            // Dropped under us: make it again once (under its advisory lock), then give up.
                            if (schemaChecked) throw;
                            schemaChecked = true;
                            schema.Forget();
                            continue;
                    }
                    // Transient. A connection lost while committing leaves the outcome unknown.
                    if (attempt.Committing && PgFailures.BreaksConnections(e)) attempt.OutcomeUnknown = true;
                    if (PgFailures.BreaksConnections(e)) db.Source.Clear(); // after a restart every idle connection is dead
                    var left = db.LockTimeout - clock.Elapsed;
                    if (left <= TimeSpan.Zero)
                        throw new StateStoreUnavailableException(db.Location,
                            $"{Reason(db, e)} (still failing after {clock.Elapsed.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s and {attempt.Number} tries; the lock timeout is {db.LockTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s)", e);
                    var wait = Jitter(pause);
                    if (wait > left) wait = left;
                    db.Trace?.Invoke($"Could not {what} ({address}): {Reason(db, e)}; trying again in {wait.TotalMilliseconds:0} ms (try {attempt.Number}).");
                    if (cancellationToken.WaitHandle.WaitOne(wait)) cancellationToken.ThrowIfCancellationRequested();
                    pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
                }
            }
        }

        /// <summary>What went wrong, in words that never hold a password: the server's message and SQLSTATE, or the client's.</summary>
        internal static string Reason(PgDatabase db, Exception e)
        {
            string detail = e is PostgresException pg ? $"{pg.MessageText} (SQLSTATE {pg.SqlState})" : Innermost(e);
            return $"{db.Describe()}: {detail}";
        }

        private static string Innermost(Exception e)
        {
            string text = e.Message;
            for (var inner = e.InnerException; inner != null; inner = inner.InnerException)
                if (!string.IsNullOrEmpty(inner.Message) && !text.Contains(inner.Message, StringComparison.Ordinal)) text += " " + inner.Message;
            return text;
        }

        private static TimeSpan Jitter(TimeSpan pause) =>
            TimeSpan.FromTicks((long)(pause.Ticks * (0.75 + 0.5 * RandomNumberGenerator.GetInt32(1000) / 1000.0)));
    }
}
