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
    /// and names keep a lone surrogate as it is (a .NET string can hold one).
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
        private static string? NameProblem(string name, JsonPath path)
        {
            if (name.Length == 0) return $"the property name at {path} is empty, which a PowerShell object cannot hold; read the file with -AsHashtable.";
            if (IsReserved(name)) return $"the property name \"{name}\" at {path} is one PowerShell objects reserve ({string.Join(", ", ReservedNames)}, in any case); read the file with -AsHashtable.";
            return null;
        }

        /// <summary>
        /// The first thing in <paramref name="element"/> that Read-StateFile without -AsHashtable
        /// cannot take as it is, described with its JSON path, or null: a name a PSCustomObject
        /// cannot hold, and unless <paramref name="namesOnly"/>, a lone surrogate (read, but refused
        /// by many other JSON readers, and in a name impossible to write back). Builds no objects.
        /// </summary>
        internal static string? FindUnsupported(JsonElement element, bool namesOnly) => FindUnsupported(element, namesOnly, new JsonPath());

        private static string? FindUnsupported(JsonElement element, bool namesOnly, JsonPath path)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Array:
                    int index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        path.PushIndex(index++);
                        string? inner = FindUnsupported(item, namesOnly, path);
                        if (inner != null) return inner;
                        path.Pop();
                    }
                    return null;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        string name = JsonStringLiteral.PropertyName(property);
                        path.PushProperty(name);
                        string? inner = NameProblem(name, path)
                            ?? (!namesOnly && JsonStringLiteral.HasLoneSurrogate(name) ? LoneSurrogate("property name", path) : null)
                            ?? FindUnsupported(property.Value, namesOnly, path);
                        if (inner != null) return inner;
                        path.Pop();
                    }
                    return null;
                case JsonValueKind.String when !namesOnly && JsonStringLiteral.HasLoneSurrogate(JsonStringLiteral.StringValue(element)):
                    return LoneSurrogate("string", path);
                default:
                    return null;
            }
        }

        private static string LoneSurrogate(string what, JsonPath path) =>
            $"the {what} at {path} holds a lone surrogate (half of a UTF-16 pair, such as the \\ud800 Python writes for text that is not Unicode): Read-StateFile keeps it as it is, but many JSON readers refuse it"
            + (what == "string" ? "." : ", and Save-StateFile and Update-StateFile cannot write it back.");

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
            return text;
        }
    }
}
