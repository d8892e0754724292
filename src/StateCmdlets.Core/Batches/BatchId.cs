using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Batch ids name files, so they are never paths: 1-128 of [A-Za-z0-9._-], starting with a
    /// letter or digit (no '/', no '..' prefix, no leading dot that would hide the file).
    /// </summary>
    internal static class BatchId
    {
        private static readonly Regex Pattern = new Regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant);

        public static bool IsValid(string? batchId) => batchId != null && Pattern.IsMatch(batchId);

        public static void Validate(string? batchId)
        {
            if (!IsValid(batchId)) throw new InvalidBatchIdException(batchId ?? string.Empty);
        }

        /// <summary>
        /// The stable id of a batch known by its name (Invoke-Batch -Name): the name itself when it
        /// is a valid id; otherwise a slug of it (runs of other characters as one '-', at most 119
        /// characters) and 8 hex digits of the SHA-256 of its UTF-8 bytes, so two names that slug
        /// alike still get two ids. "Patch November" becomes "Patch-November-" plus the hex digits.
        /// </summary>
        public static string FromName(string name)
        {
            if (name == null) throw new ArgumentNullException(nameof(name));
            if (IsValid(name)) return name;
            const int maxSlug = 128 - 9; // room for "-" and the hex digits
            var slug = new StringBuilder(Math.Min(name.Length, maxSlug));
            foreach (char c in name)
            {
                if (slug.Length >= maxSlug) break;
                bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                // An id starts with a letter or digit; separators before one are dropped.
                if (slug.Length == 0 && !(allowed && char.IsLetterOrDigit(c))) continue;
                if (allowed) slug.Append(c);
                else if (slug[slug.Length - 1] != '-') slug.Append('-');
            }
            string hex;
            using (var sha = SHA256.Create())
            {
                byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(name));
                hex = string.Concat(hash[0].ToString("x2", CultureInfo.InvariantCulture), hash[1].ToString("x2", CultureInfo.InvariantCulture),
                    hash[2].ToString("x2", CultureInfo.InvariantCulture), hash[3].ToString("x2", CultureInfo.InvariantCulture));
            }
            string stem = slug.ToString().TrimEnd('-');
            return (stem.Length == 0 ? "batch" : stem) + "-" + hex;
        }

        /// <summary>batch-yyyyMMdd-HHmmss-xxxx: sorts by creation time, unlikely to collide.</summary>
        public static string Generate(DateTime utcNow)
        {
            var bytes = new byte[2];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return "batch-" + utcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + bytes[0].ToString("x2", CultureInfo.InvariantCulture) + bytes[1].ToString("x2", CultureInfo.InvariantCulture);
        }
    }
}
