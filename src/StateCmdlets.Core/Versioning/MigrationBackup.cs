using System;
using System.IO;
using System.Linq;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Core.Versioning
{
    /// <summary>
    /// The original of a migrated file F, kept next to it: F.v&lt;old&gt;.bak, or
    /// F.v&lt;old&gt;.&lt;time&gt;.bak when that name already holds another original (a file migrated
    /// twice from the same version). Batch snapshots and state files share these rules.
    /// </summary>
    internal static class MigrationBackup
    {
        public static string PathFor(string file, SchemaVersion version) => AuxiliaryFiles.MigrationBackupOf(file, version.ToString());

        public static string PathFor(string file, SchemaVersion version, DateTime utc) => AuxiliaryFiles.MigrationBackupOf(file, version.ToString(), utc);

        /// <summary>
        /// Where this original goes: the plain name when it is free or already holds exactly these
        /// bytes (nothing to write), else a new time-stamped name. An unreadable backup is never
        /// taken for a match, so it is never overwritten.
        /// </summary>
        public static string Choose(IFileSystem fileSystem, string file, SchemaVersion version, byte[] original, DateTime utcNow)
        {
            string backup = PathFor(file, version);
            var at = utcNow;
            while (fileSystem.FileExists(backup) && !HoldsExactly(fileSystem, backup, original))
            {
                backup = PathFor(file, version, at);
                at = at.AddMilliseconds(1); // the same millisecond taken already: the next one
            }
            return backup;
        }

        /// <summary>The version a backup of the file named <paramref name="ofName"/> was taken from, or null when <paramref name="fileName"/> is not one.</summary>
        public static SchemaVersion? VersionOf(string fileName, string ofName)
        {
            string? text = AuxiliaryFiles.MigrationBackupVersionText(fileName, ofName);
            return text != null && SchemaVersion.TryParse(text, out var version) ? version : (SchemaVersion?)null;
        }

        private static bool HoldsExactly(IFileSystem fileSystem, string path, byte[] bytes)
        {
            try
            {
                return fileSystem.ReadAllBytes(path).SequenceEqual(bytes);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return false;
            }
        }
    }
}
