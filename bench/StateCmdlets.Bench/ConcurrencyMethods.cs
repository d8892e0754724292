namespace StateCmdlets.Bench
{
    /// <summary>The row and group names of the concurrency table.</summary>
    internal static class ConcurrencyMethods
    {
        internal const string ThreadGroup = "threads of this process";
        internal const string CmdletGroup = "child pwsh";
        internal const string ProcessGroup = "child processes";

        internal const string Raw = "raw append+fsync, 1 thread";
        internal const string RawThreads = "raw append+fsync, 8 threads on one file";
        internal const string RawOverwrite = "raw overwrite+fsync, 1 thread";
        internal const string RawOverwriteThreads = "raw overwrite+fsync, 8 threads on one file";
        internal const string Core = "ours, core API, 1 thread";
        internal const string CoreThreads = "ours, core API, 8 threads";
        internal const string CoreNoSync = "ours, core API, 1 thread, fsync skipped (CPU limit)";
        internal const string CoreThreadsNoSync = "ours, core API, 8 threads, fsync skipped (CPU limit)";
        internal const string Sqlite = "SQLite WAL, 1 connection";
        internal const string SqliteThreads = "SQLite WAL, 8 threads, a connection each";

        internal const string CmdletSequential = "cmdlet pipeline, sequential (claims)";
        internal const string CmdletNoClaim = "cmdlet pipeline, sequential, -NoClaim";
        internal const string CmdletParallel = "cmdlet pipeline, ForEach-Object -Parallel (claims)";
        internal const string CmdletEmptyParallel = "ForEach-Object -Parallel, block records nothing";
        internal const string CmdletSequentialWork = "cmdlet pipeline, sequential, 20 ms of work per item";
        internal const string CmdletParallelWork = "cmdlet pipeline, ForEach-Object -Parallel, 20 ms of work per item";

        internal const string Process = "ours, core API, 1 process";
        internal const string Processes = "ours, core API, 4 processes";
    }
}
