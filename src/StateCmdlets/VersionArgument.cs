using System.Management.Automation;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets
{
    /// <summary>A -SchemaVersion or -TargetVersion argument: major.minor.patch, or a terminating InvalidSchemaVersion.</summary>
    internal static class VersionArgument
    {
        internal static SchemaVersion? Parse(Cmdlet cmdlet, string? text, string parameter)
        {
            if (text == null) return null;
            if (SchemaVersion.TryParse(text, out var version)) return version;
            cmdlet.ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidSchemaVersion",
                $"-{parameter} '{text}' is not a major.minor.patch version such as '1.2.0'.", text));
            return null;
        }
    }
}
