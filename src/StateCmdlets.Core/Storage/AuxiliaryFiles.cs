using System;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// The one owner of the names of the files this module keeps next to a file F of its own: the
    /// temp file of an atomic write (.F.&lt;hex&gt;.tmp), a copy set aside (F.corrupt-&lt;time&gt;), a
    /// migration backup (F.v&lt;version&gt;.bak, F.v&lt;version&gt;.&lt;time&gt;.bak) and the time stamp in them.
    /// </summary>
    internal static class AuxiliaryFiles
    {
        /// <summary>UTC time in names of backups and of copies set aside: 20260102T030405006Z (sorts as it reads, the same in every culture).</summary>
        public const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

        /// <summary>Length of a name's <see cref="TimeFormat"/> part.</summary>
        public const int TimeLength = 19;

        public const string LockSuffix = ".lock";

        private const string CorruptInfix = ".corrupt-";
        private const string BackupSuffix = ".bak";

        private static readonly Regex BackupName = new Regex(@"^.+\.v[0-9]+\.[0-9]+\.[0-9]+(\.[0-9]{8}T[0-9]{9}Z)?\.bak$", RegexOptions.CultureInvariant);
        private static readonly Regex TempNamePattern = new Regex(@"^\..+\.[0-9a-f]{12}\.tmp$", RegexOptions.CultureInvariant);

        public static string Stamp(DateTime utc) => utc.ToString(TimeFormat, CultureInfo.InvariantCulture);

        /// <summary>True for text in <see cref="TimeFormat"/>.</summary>
        public static bool IsStamp(string text) =>
            text.Length == TimeLength && text[8] == 'T' && text[TimeLength - 1] == 'Z'
            && text.Where((c, i) => i != 8 && i != TimeLength - 1).All(c => c >= '0' && c <= '9');

        /// <summary>Temp files start with a dot and end in .tmp: never a batch id, easy to spot.</summary>
        public static string TempName(string fileName) => "." + fileName + "." + RandomSuffix() + ".tmp";

        /// <summary>True for a name <see cref="TempName"/> made for <paramref name="fileName"/>.</summary>
        public static bool IsTempNameOf(string candidate, string fileName) =>
            candidate.StartsWith("." + fileName + ".", StringComparison.Ordinal) && candidate.EndsWith(".tmp", StringComparison.Ordinal);

        /// <summary>
        /// The file name a temp file was made for (".a.json.0123456789ab.tmp" gives "a.json"), or null.
        /// Matched on the whole target name, so the temp files of "a.journal" are never taken for "a"'s.
        /// </summary>
        public static string? TempTarget(string fileName)
        {
            if (!fileName.StartsWith(".", StringComparison.Ordinal) || !fileName.EndsWith(".tmp", StringComparison.Ordinal) || fileName.Length < 6) return null;
            string inner = fileName.Substring(1, fileName.Length - 5);
            int dot = inner.LastIndexOf('.');
            return dot > 0 ? inner.Substring(0, dot) : null;
        }

        /// <summary>Where a damaged file is copied aside (never deleted).</summary>
        public static string CorruptCopyOf(string path, DateTime utcNow) => path + CorruptInfix + Stamp(utcNow);

        /// <summary>&lt;of&gt;.corrupt-&lt;time&gt;, as <see cref="CorruptCopyOf"/> names it.</summary>
        public static bool IsCorruptCopyOf(string fileName, string of) =>
            fileName.StartsWith(of + CorruptInfix, StringComparison.Ordinal)
            && IsStamp(fileName.Substring(of.Length + CorruptInfix.Length));

        /// <summary>The second copy of the newest version of a file (a batch snapshot's B.json.bak).</summary>
        public static string LatestBackupOf(string path) => path + BackupSuffix;

        /// <summary>Where the original of a file migrated from version <paramref name="version"/> is kept.</summary>
        public static string MigrationBackupOf(string file, string version) => file + ".v" + version + BackupSuffix;

        /// <summary>The same, time-stamped: when the plain name already holds another original.</summary>
        public static string MigrationBackupOf(string file, string version, DateTime utc) => file + ".v" + version + "." + Stamp(utc) + BackupSuffix;

        /// <summary>
        /// The version text of a migration backup of <paramref name="ofName"/> (stamp removed), or null
        /// when <paramref name="fileName"/> is not named like one. The caller parses the version.
        /// </summary>
        public static string? MigrationBackupVersionText(string fileName, string ofName)
        {
            string prefix = ofName + ".v";
            if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(BackupSuffix, StringComparison.Ordinal) || fileName.Length <= prefix.Length + BackupSuffix.Length) return null;
            string middle = fileName.Substring(prefix.Length, fileName.Length - prefix.Length - BackupSuffix.Length);
            int stamp = middle.Length - TimeLength - 1;
            if (stamp > 0 && middle[stamp] == '.' && IsStamp(middle.Substring(stamp + 1))) middle = middle.Substring(0, stamp);
            return middle;
        }

        /// <summary>
        /// True for the name of any file this module keeps next to a file of its own: a lock
        /// (F.lock), a migration backup, a temp file of a write or a copy set aside. Wildcards skip them.
        /// </summary>
        public static bool IsAuxiliary(string fileName)
        {
            if (fileName == null) throw new ArgumentNullException(nameof(fileName));
            return fileName.EndsWith(LockSuffix, StringComparison.Ordinal)
                || fileName.IndexOf(CorruptInfix, StringComparison.Ordinal) > 0
                || BackupName.IsMatch(fileName)
                || TempNamePattern.IsMatch(fileName);
        }

        private static string RandomSuffix()
        {
            var bytes = new byte[6];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return BitConverter.ToString(bytes).Replace("-", string.Empty).ToLowerInvariant();
        }
    }
}
