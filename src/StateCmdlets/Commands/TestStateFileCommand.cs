using System.Collections.Generic;
using System.Management.Automation;
using StateCmdlets.Core.Batches;

using StateCmdlets.Core;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Checks JSON state files without changing anything: one object per problem (not JSON, a
    /// malformed schemaVersion, temporary files of interrupted writes, a missing lock file), or
    /// with -Quiet just $true when every file named is there and sound.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "StateFile", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(StateProblem), typeof(bool))]
    public sealed class TestStateFileCommand : StateFileCmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";
        private bool _sound = true;

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = new string[0];

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = new string[0];

        /// <summary>Emit only $true (no problem) or $false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            bool literal = ParameterSetName == LiteralPathSet;
            foreach (string path in literal ? LiteralPath : Path)
            {
                foreach (string file in Paths.Files(path, literal, onlyStateFiles: true))
                {
                    IReadOnlyList<StateProblem>? problems = null;
                    if (!TryRun(() => problems = Store.Inspect(file, PowerShellJson.FindUnsupported), file))
                    {
                        _sound = false;
                        continue;
                    }
                    if (problems!.Count > 0) _sound = false;
                    if (!Quiet) WriteObject(problems, enumerateCollection: true);
                }
            }
        }

        protected override void EndProcessing()
        {
            // A path that named no file (its error is written) was not validated: not sound.
            if (Quiet) WriteObject(_sound && !Paths.UnresolvedReported);
        }
    }
}
