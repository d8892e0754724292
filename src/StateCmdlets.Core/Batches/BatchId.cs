using System;
using System.Globalization;
using System.Security.Cryptography;
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

        /// <summary>batch-yyyyMMdd-HHmmss-xxxx: sorts by creation time, unlikely to collide.</summary>
        public static string Generate(DateTime utcNow)
        {
            var bytes = new byte[2];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return "batch-" + utcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + bytes[0].ToString("x2", CultureInfo.InvariantCulture) + bytes[1].ToString("x2", CultureInfo.InvariantCulture);
        }
    }
}
