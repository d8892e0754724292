namespace StateCmdlets.Core.Batches
{
    /// <summary>Where one work item stands.</summary>
    public enum FeatureStatus
    {
        Pending,
        Completed,
        Failed,
        Skipped,
    }
}
