namespace StateCmdlets.Core.Batches
{
    /// <summary>One feature of a claim and the fencing token it was given.</summary>
    internal readonly struct ClaimItem
    {
        public ClaimItem(string feature, long token)
        {
            Feature = feature;
            Token = token;
        }

        public string Feature { get; }

        public long Token { get; }
    }
}
