namespace StateCmdlets.Core.Batches
{
    /// <summary>What named the store a command uses, so messages can say where to change it.</summary>
    internal enum StoreOrigin
    {
        /// <summary>-Store on the command line, or the Store of a piped object.</summary>
        StoreParameter,

        /// <summary>-StateDirectory on the command line, or the StateDirectory of a piped object.</summary>
        StateDirectoryParameter,

        /// <summary>$env:STATECMDLETS_STORE.</summary>
        StoreVariable,

        /// <summary>Nothing: the file store in $env:STATECMDLETS_HOME, else the per-user state folder.</summary>
        Default,
    }
}
