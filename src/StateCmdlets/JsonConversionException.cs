using System;

namespace StateCmdlets
{
    /// <summary>
    /// A value that cannot cross between PowerShell objects and JSON. Its message is one sentence
    /// naming the JSON path; callers wrap it in the error for their file, feature or step.
    /// </summary>
    internal sealed class JsonConversionException : Exception
    {
        internal JsonConversionException(string problem) : base(problem)
        {
        }
    }
}
