using System;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Text.Json;
using StateCmdlets.Core.Json;

namespace StateCmdlets
{
    /// <summary>
    /// JSON to PowerShell objects: objects become PSCustomObjects (or ordered hashtables, keys
    /// ignoring case as in [ordered]@{}), arrays object[], numbers as <see cref="JsonNumbers"/>
    /// says. What a PSCustomObject cannot hold (an empty or reserved property name) is a
    /// <see cref="JsonConversionException"/> naming its JSON path; a hashtable holds it. Strings
    /// keep a lone surrogate as it is (a .NET string can hold one), noted in <see cref="LoneSurrogateAt"/>.
    /// </summary>
    internal sealed class JsonToPowerShell
    {
        // PSObject refuses these as member names (PSObjectMembersMembersAddReservedName).
        private static readonly string[] ReservedNames = { "psobject", "psbase", "psadapted", "psextended", "pstypenames" };

        private readonly bool _asHashtable;
        private readonly bool _fallBackToHashtable;
        private readonly JsonPath _path = new JsonPath();

        /// <param name="asHashtable">Every object as an ordered hashtable.</param>
        /// <param name="fallBackToHashtable">
        /// Only the objects a PSCustomObject cannot hold as ordered hashtables, instead of an error:
        /// for a property that cannot report one (a feature's Data).
        /// </param>
        internal JsonToPowerShell(bool asHashtable, bool fallBackToHashtable = false)
        {
            _asHashtable = asHashtable;
            _fallBackToHashtable = fallBackToHashtable;
        }

        /// <summary>The JSON path of the first string or name read with a lone surrogate in it, or null.</summary>
        internal string? LoneSurrogateAt { get; private set; }

        internal object? Read(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object when _asHashtable || (_fallBackToHashtable && !FitsPSObject(element)):
                    return ReadTable(element);
                case JsonValueKind.Object:
                    return ReadObject(element);
                case JsonValueKind.Array:
                    var items = new object?[element.GetArrayLength()];
                    int i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        _path.PushIndex(i);
                        items[i++] = Read(item);
                        _path.Pop();
                    }
                    return items;
                case JsonValueKind.String:
                    return ReadString(element);
                case JsonValueKind.Number:
                    return JsonNumbers.Read(element);
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }

        /// <summary>
        /// Why a PSCustomObject cannot have a property of this name (with its path, and what to do
        /// instead), or null when it can. The one rule, for reading and for checking what is written.
        /// </summary>
        internal static string? NameProblem(string name, JsonPath path)
        {
            if (name.Length == 0) return $"the property name at {path} is empty, which a PowerShell object cannot hold; read the file with -AsHashtable.";
            if (IsReserved(name)) return $"the property name \"{name}\" at {path} is reserved in PowerShell objects (as are {string.Join(", ", ReservedNames)}, in any case); read the file with -AsHashtable.";
            return null;
        }

        /// <summary>The first name anywhere in <paramref name="element"/> a PSCustomObject cannot hold, described, or null.</summary>
        internal static string? FindNameProblem(JsonElement element) => FindNameProblem(element, new JsonPath());

        private static string? FindNameProblem(JsonElement element, JsonPath path)
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                int index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.PushIndex(index++);
                    string? inner = FindNameProblem(item, path);
                    if (inner != null) return inner;
                    path.Pop();
                }
            }
            else if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    path.PushProperty(JsonStringLiteral.PropertyName(property));
                    string? inner = NameProblem(JsonStringLiteral.PropertyName(property), path) ?? FindNameProblem(property.Value, path);
                    if (inner != null) return inner;
                    path.Pop();
                }
            }
            return null;
        }

        private static bool IsReserved(string name) => Array.Exists(ReservedNames, r => string.Equals(r, name, StringComparison.OrdinalIgnoreCase));

        private static bool FitsPSObject(JsonElement element)
        {
            foreach (var property in element.EnumerateObject())
            {
                string name = JsonStringLiteral.PropertyName(property);
                if (name.Length == 0 || IsReserved(name)) return false;
            }
            return true;
        }

        private OrderedDictionary ReadTable(JsonElement element)
        {
            var table = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (var property in element.EnumerateObject())
            {
                string name = ReadName(property);
                _path.PushProperty(name);
                table[name] = Read(property.Value);
                _path.Pop();
            }
            return table;
        }

        private PSObject ReadObject(JsonElement element)
        {
            var result = new PSObject();
            foreach (var property in element.EnumerateObject())
            {
                string name = ReadName(property);
                _path.PushProperty(name);
                string? problem = NameProblem(name, _path);
                if (problem != null) throw new JsonConversionException(problem);
                object? value = Read(property.Value);
                // A name repeated in the JSON (or differing only in case, which PowerShell cannot
                // tell apart; state files refuse both): the last one wins, as in ConvertFrom-Json.
                var existing = result.Properties[name];
                if (existing != null) existing.Value = value;
                else
                {
                    try
                    {
                        result.Properties.Add(new PSNoteProperty(name, value));
                    }
                    catch (ExtendedTypeSystemException)
                    {
                        // A reserved name newer PowerShell versions may add.
                        throw new JsonConversionException($"the property name \"{name}\" at {_path} is reserved in PowerShell objects; read the file with -AsHashtable.");
                    }
                }
                _path.Pop();
            }
            return result;
        }

        private string ReadName(JsonProperty property)
        {
            string name;
            try
            {
                name = JsonStringLiteral.PropertyName(property);
            }
            catch (Exception e) when (e is InvalidOperationException || e is FormatException)
            {
                throw new JsonConversionException($"a property name in the object at {_path} is not valid UTF-8 text.");
            }
            if (LoneSurrogateAt == null && JsonStringLiteral.HasLoneSurrogate(name))
            {
                _path.PushProperty(name);
                LoneSurrogateAt = _path.ToString();
                _path.Pop();
            }
            return name;
        }

        private string ReadString(JsonElement element)
        {
            string text;
            try
            {
                text = JsonStringLiteral.StringValue(element);
            }
            catch (Exception e) when (e is InvalidOperationException || e is FormatException)
            {
                // State files are checked for UTF-8 as they are read; other JSON (a batch's) may not be.
                throw new JsonConversionException($"the string at {_path} is not valid UTF-8 text.");
            }
            if (LoneSurrogateAt == null && JsonStringLiteral.HasLoneSurrogate(text)) LoneSurrogateAt = _path.ToString();
            return text;
        }
    }
}
