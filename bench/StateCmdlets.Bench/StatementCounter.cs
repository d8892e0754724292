using System;
using System.Diagnostics;
using System.Threading;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// Counts the commands Npgsql sends in this process (one activity of its ActivitySource each; a
    /// pooled connection's reset rides on the next command and is not one): what one claim or one
    /// result costs in statements, each a round trip to the server.
    /// </summary>
    internal sealed class StatementCounter : IDisposable
    {
        private const string NpgsqlSource = "Npgsql";

        private readonly ActivityListener _listener;
        private long _count;

        internal StatementCounter()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == NpgsqlSource,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
                ActivityStarted = activity => { if (activity.Kind == ActivityKind.Client) Interlocked.Increment(ref _count); },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>Commands started so far.</summary>
        internal long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
