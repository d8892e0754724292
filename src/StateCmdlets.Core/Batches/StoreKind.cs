namespace StateCmdlets.Core.Batches
{
    /// <summary>The two kinds of store behind <see cref="IBatchStore"/>.</summary>
    internal enum StoreKind
    {
        /// <summary>A state directory on a local disk (the embedded default).</summary>
        File,

        /// <summary>A PostgreSQL database, for workers on several machines.</summary>
        PostgreSql,
    }
}
