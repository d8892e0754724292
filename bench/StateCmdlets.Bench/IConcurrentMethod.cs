using System;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// One way of durably recording results with several writers at once (threads of this
    /// process): each writer writes its own share of the results, all of them started together.
    /// </summary>
    internal interface IConcurrentMethod : IDisposable
    {
        string Name { get; }

        /// <summary>Threads writing at once.</summary>
        int Writers { get; }

        /// <summary>Results the run records, over all writers.</summary>
        int Results { get; }

        /// <summary>fsyncs the run made (known only where the method can count them), else null.</summary>
        long? Fsyncs { get; }

        /// <summary>Untimed: creates the batch (file, store, table) and opens what each writer keeps open.</summary>
        void Prepare();

        /// <summary>Writer <paramref name="writer"/>'s share: results i with i % Writers == writer, each durable on return.</summary>
        void Write(int writer);

        /// <summary>Untimed: throws unless every result is there; then removes the method's files.</summary>
        void VerifyAndClean();
    }
}
