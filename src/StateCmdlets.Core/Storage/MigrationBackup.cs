using System;
using System.Globalization;
using System.IO;
using System.Linq;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// The original of a migrated file F, kept next to it: F.v&lt;old&gt;.bak, or
    /// F.v&lt;old&gt;.&lt;time&gt;.bak when that name already holds another original (a file migrated
    /// twice from the same version). Batch snapshots and state files share these rules.
    /// </summary>
    public static class MigrationBackup
    {
        /// <summary>UTC time in names of backups and of copies set aside: 20260102T030405006Z.</summary>
        public const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

        /// <summary>Length of a name's <see cref="TimeFormat"/> part.</summary>
        public const int TimeLength = 19;

        public static string PathFor(string file, SchemaVersion version) => file + ".v" + version + ".bak";

        public static string PathFor(string file, SchemaVersion version, DateTime utc) => file + ".v" + version + "." + Stamp(utc) + ".bak";

        public static string Stamp(DateTime utc) => utc.ToString(TimeFormat, CultureInfo.InvariantCulture);

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
            string prefix = ofName + ".v";
            if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(".bak", StringComparison.Ordinal) || fileName.Length <= prefix.Length + 4) return null;
            string middle = fileName.Substring(prefix.Length, fileName.Length - prefix.Length - 4);
            int stamp = middle.Length - TimeLength - 1;
            if (stamp > 0 && middle[stamp] == '.' && IsStamp(middle.Substring(stamp + 1))) middle = middle.Substring(0, stamp);
            return SchemaVersion.TryParse(middle, out var version) ? version : (SchemaVersion?)null;
        }

        /// <summary>True for text in <see cref="TimeFormat"/>.</summary>
        public static bool IsStamp(string text) =>
            text.Length == TimeLength && text[8] == 'T' && text[TimeLength - 1] == 'Z'
            && text.Where((c, i) => i != 8 && i != TimeLength - 1).All(c => c >= '0' && c <= '9');

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
