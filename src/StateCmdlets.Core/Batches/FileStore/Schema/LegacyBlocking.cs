namespace StateCmdlets.Core.Batches.FileStore.Schema
{
    /// <summary>
    /// Files written before blockedBy was stored said only in the skip's reason that a dependency
    /// had blocked it ("Skipped because 'x' did not complete (...)"). Read once, here, into the typed
    /// field; nothing else looks at the text.
    /// </summary>
    internal static class LegacyBlocking
    {
        private const string Prefix = "Skipped because '";

        internal static string? DependencyNamedIn(string? reason)
        {
            if (reason == null || !reason.StartsWith(Prefix, System.StringComparison.Ordinal)) return null;
            int end = reason.IndexOf("' did not complete", Prefix.Length, System.StringComparison.Ordinal);
            return end > Prefix.Length ? reason.Substring(Prefix.Length, end - Prefix.Length) : null;
        }
    }
}
