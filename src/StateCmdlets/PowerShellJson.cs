using System;
using System.Text.Json;
using StateCmdlets.Core.StateFiles;

namespace StateCmdlets
{
    /// <summary>
    /// A feature's Data and a state file's document between PowerShell objects and JSON (see
    /// <see cref="PowerShellToJson"/> and <see cref="JsonToPowerShell"/>): hashtables and
    /// PSCustomObjects become JSON objects, lists arrays, dates ISO 8601 strings; JSON objects
    /// come back as PSCustomObjects, so $_.Data.Sha256 works. The overloads taking a file turn a
    /// value that cannot cross into that file's InvalidStateDocument error.
    /// </summary>
    internal static class PowerShellJson
    {
        /// <summary>
        /// Throws <see cref="JsonConversionException"/> for what cannot be written; with
        /// <paramref name="allowCaseTwins"/>, not for two names differing only in case.
        /// </summary>
        internal static JsonElement ToJson(object? value, Action<string>? warn = null, bool allowCaseTwins = false) => PowerShellToJson.Convert(value, warn, allowCaseTwins);

        internal static JsonElement ToJson(object? value, string file, Action<string>? warn)
        {
            try
            {
                return PowerShellToJson.Convert(value, warn);
            }
            catch (JsonConversionException e)
            {
                throw new InvalidStateDocumentException(file, e.Message);
            }
        }

        /// <summary>With <paramref name="asHashtable"/>, JSON objects become ordered hashtables (keys ignore case, as in [ordered]@{}).</summary>
        internal static object? FromJson(JsonElement element, bool asHashtable, string file)
        {
            try
            {
                return new JsonToPowerShell(asHashtable).Read(element);
            }
            catch (JsonConversionException e)
            {
                throw new InvalidStateDocumentException(file, e.Message);
            }
        }

        /// <summary>Throws <see cref="JsonConversionException"/> for what cannot be read.</summary>
        internal static object? FromJson(JsonElement element, bool asHashtable) => new JsonToPowerShell(asHashtable).Read(element);

        /// <summary>
        /// For a property getter, which has nobody to report to: an object a PSCustomObject cannot
        /// hold (an empty or reserved property name) comes back as an ordered hashtable instead.
        /// </summary>
        internal static object? FromJsonLenient(JsonElement element) => new JsonToPowerShell(asHashtable: false, fallBackToHashtable: true).Read(element);

        /// <summary>What Read-StateFile (without -AsHashtable) cannot take as it is, described, or null: Test-StateFile's check.</summary>
        internal static string? FindUnsupported(JsonElement element) => JsonToPowerShell.FindUnsupported(element, namesOnly: false);
    }
}
