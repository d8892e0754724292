namespace StateCmdlets.Core
{
    /// <summary>
    /// What kind of failure an exception is, declared once by each exception type; the cmdlets map
    /// it to PowerShell's ErrorCategory (the core knows nothing of PowerShell).
    /// </summary>
    public enum StateErrorCategory
    {
        InvalidArgument,
        ObjectNotFound,
        ResourceExists,
        InvalidData,
        InvalidOperation,
        InvalidResult,
        OperationTimeout,
        DeadlockDetected,
        PermissionDenied,
        WriteError,
        ResourceUnavailable,
    }
}
