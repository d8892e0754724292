namespace StateCmdlets.Bench
{
    /// <summary>The row names of the table, one per method measured.</summary>
    internal static class Methods
    {
        internal const string Raw = "raw append+fsync";
        internal const string RawOverwrite = "raw overwrite+fsync (diagnostic)";
        internal const string Naive = "naive rewrite";
        internal const string Core = "ours, core API";
        internal const string Cmdlet = "ours, cmdlet";
        internal const string Sqlite = "SQLite WAL";
    }
}
