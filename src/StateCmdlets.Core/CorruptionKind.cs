namespace StateCmdlets.Core
{
    /// <summary>What is wrong with a damaged file: Test-BatchState and Test-StateFile report it by kind.</summary>
    public enum CorruptionKind
    {
        /// <summary>The bytes are not JSON at all (or the file is empty, or not UTF-8).</summary>
        Unparsable,

        /// <summary>JSON, but not a valid document of its kind (a missing or wrong-typed field, a bad value).</summary>
        Invalid,

        /// <summary>JSON, but with none of a batch's fields: another program's file in the state directory, not damage.</summary>
        NotABatch,
    }
}
