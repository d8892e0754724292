using System;
using System.Diagnostics;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Who holds a claim: the machine, the process, and the session within it (a PowerShell
    /// runspace, say). Two sessions of one process are two workers; the same session coming back
    /// (after Ctrl+C, or Select-Object -First) is the same worker and gets its items back at once.
    /// </summary>
    internal sealed class WorkerIdentity : IEquatable<WorkerIdentity>
    {
        public WorkerIdentity(string host, int processId, string session)
        {
            Host = host ?? throw new ArgumentNullException(nameof(host));
            ProcessId = processId;
            Session = session ?? throw new ArgumentNullException(nameof(session));
        }

        public string Host { get; }

        public int ProcessId { get; }

        public string Session { get; }

        /// <summary>This process, in the session named <paramref name="session"/>.</summary>
        public static WorkerIdentity Current(string session)
        {
            using (var process = Process.GetCurrentProcess())
                return new WorkerIdentity(Environment.MachineName, process.Id, session);
        }

        public bool Equals(WorkerIdentity? other) =>
            other != null && other.ProcessId == ProcessId && string.Equals(other.Host, Host, StringComparison.Ordinal) && string.Equals(other.Session, Session, StringComparison.Ordinal);

        public override bool Equals(object? obj) => Equals(obj as WorkerIdentity);

        public override int GetHashCode() => (Host.GetHashCode() * 31 + ProcessId) * 31 + Session.GetHashCode();

        /// <summary>host/pid/session, as messages and tables show it.</summary>
        public override string ToString() => Host + "/" + ProcessId + "/" + Session;
    }
}
