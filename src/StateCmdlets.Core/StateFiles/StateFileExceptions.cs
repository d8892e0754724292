using System.Collections.Generic;
using System.Linq;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>A state file path that names a folder (an existing one, or a path ending in a separator).</summary>
    public sealed class StateFileIsFolderException : StateException
    {
        public StateFileIsFolderException(string path)
            : base(StateErrorIds.StateFileIsFolder, StateErrorCategory.InvalidArgument, $"'{path}' names a folder, not a state file: give the path of a file in it. Nothing was read, created or changed.", path)
        {
        }
    }

    /// <summary>
    /// Update-StateFile's script block raised an error (any error: it runs with
    /// ErrorActionPreference Stop), so the document it left half-changed is not written.
    /// </summary>
    public sealed class StateUpdateFailedException : StateException
    {
        public StateUpdateFailedException(string path, string problem, System.Exception? inner = null)
            : base(StateErrorIds.StateUpdateFailed, StateErrorCategory.InvalidOperation, $"Updating state file '{path}': the script block failed: {problem} Nothing was written; the file was not changed.", path, inner)
        {
            Problem = problem;
        }

        public string Problem { get; }
    }

    /// <summary>A document that is not what the operation needs: a JSON object at the top level, or one new document.</summary>
    public sealed class InvalidStateDocumentException : StateException
    {
        public InvalidStateDocumentException(string path, string problem)
            : base(StateErrorIds.InvalidStateDocument, StateErrorCategory.InvalidData, $"State file '{path}': {problem} The file was not changed.", path)
        {
            Problem = problem;
        }

        public string Problem { get; }
    }

    /// <summary>A file whose schema version no migration step starts from, while steps exist for newer ones.</summary>
    public sealed class StateVersionUnknownException : StateException
    {
        public StateVersionUnknownException(string path, SchemaVersion fileVersion, IEnumerable<SchemaVersion> stepsFrom)
            : base(StateErrorIds.StateVersionUnknown, StateErrorCategory.InvalidData,
                $"State file '{path}' has schema version {fileVersion}, and no migration step starts from it (steps start from {string.Join(", ", stepsFrom.OrderBy(v => v).Select(v => v.ToString()))}). The file was not changed.",
                path)
        {
            FileVersion = fileVersion.ToString();
        }

        public string FileVersion { get; }
    }

    /// <summary>A write in a schema version whose major is newer than the file's: the file needs migrating first.</summary>
    public sealed class StateMigrationRequiredException : StateException
    {
        public StateMigrationRequiredException(string path, SchemaVersion fileVersion, SchemaVersion wanted)
            : base(StateErrorIds.StateMigrationRequired, StateErrorCategory.InvalidData,
                $"State file '{path}' has schema version {fileVersion}, an older major version than {wanted}: migrate it first (Invoke-StateMigration -Step). The file was not changed.",
                path)
        {
            FileVersion = fileVersion.ToString();
            WantedVersion = wanted.ToString();
        }

        public string FileVersion { get; }

        public string WantedVersion { get; }
    }

    /// <summary>A user-written migration step that broke the rules (output, direction, where the chain ends).</summary>
    public sealed class InvalidMigrationStepException : StateException
    {
        public InvalidMigrationStepException(string? path, string problem, System.Exception? inner = null)
            : base(StateErrorIds.InvalidMigrationStep, StateErrorCategory.InvalidResult, (path == null ? string.Empty : $"Migrating '{path}': ") + problem + (path == null ? string.Empty : " The file was not changed."), path, inner)
        {
            Problem = problem;
        }

        public string Problem { get; }
    }
}
