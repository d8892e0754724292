namespace StateCmdlets.Core.Batches
{
    /// <summary>The store one command uses: its kind, the text that names it, and what named it.</summary>
    internal sealed class StoreChoice
    {
        internal StoreChoice(StoreKind kind, string text, StoreOrigin origin)
        {
            Kind = kind;
            Text = text;
            Origin = origin;
        }

        public StoreKind Kind { get; }

        /// <summary>A folder (as given: the caller resolves it), or a connection string or URI (which may hold a password: never show it).</summary>
        public string Text { get; }

        public StoreOrigin Origin { get; }
    }
}
