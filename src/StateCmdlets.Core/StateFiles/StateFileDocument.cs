using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// A state file's content: plain JSON with the user's own properties at the top level (any JSON
    /// reader, Python's json.load included, reads it), and a top-level "schemaVersion" when versioned.
    /// </summary>
    internal static class StateFileDocument
    {
        /// <summary>
        /// Parses a whole file. Invalid JSON (bytes that are not UTF-8 included), and a property
        /// name repeated in one object (also when only its case differs: PowerShell objects and
        /// hashtables cannot hold both), are <see cref="StateFileCorruptException"/> with the byte offset.
        /// </summary>
        public static JsonElement Parse(byte[] bytes, string path)
        {
            int start = HasBom(bytes) ? 3 : 0;
            long invalid = Utf8Text.FirstInvalidByte(bytes, start);
            if (invalid >= 0)
                throw new StateFileCorruptException(path, invalid, $"it is not valid JSON (the byte 0x{bytes[invalid]:X2} at offset {invalid} is not UTF-8, and JSON text must be).", CorruptionKind.Unparsable);
            using var document = JsonText.Parse(bytes, path);
            string? problem = FindRepeatedName(bytes, start, out long offset);
            if (problem != null) throw new StateFileCorruptException(path, offset, problem);
            return document.RootElement.Clone();
        }

        /// <summary>
        /// Indented UTF-8 without a BOM, non-ASCII kept readable, ending in a newline (as batch
        /// files). A document <see cref="Parse"/> would refuse (two names differing only in case),
        /// or whose names cannot be written, is <see cref="InvalidStateDocumentException"/>
        /// instead: nothing is written that could not be read back.
        /// </summary>
        public static byte[] Serialize(JsonElement document, string path)
        {
            RequireWritable(document, path);
            return JsonText.Write(w => JsonElementWriter.Write(w, document));
        }

        /// <summary>The schemaVersion of an object (the property in any letter case, as PowerShell finds it); an object without one is 1.0.0.</summary>
        public static SchemaVersion VersionOf(JsonElement document, string path)
        {
            RequireObject(document, path, "only an object carries a schemaVersion.");
            if (!TryGetVersionProperty(document, out var element)) return SchemaMigrator.Unversioned;
            if (element.ValueKind == JsonValueKind.String && SchemaVersion.TryParse(JsonStringLiteral.StringValue(element), out var version)) return version;
            throw new StateFileCorruptException(path, null, $"schemaVersion {element.GetRawText()} is not a major.minor.patch string.");
        }

        /// <summary>True when the object has a schemaVersion property, in any letter case.</summary>
        public static bool HasVersion(JsonElement document) =>
            document.ValueKind == JsonValueKind.Object && TryGetVersionProperty(document, out _);

        /// <summary>
        /// The document with its schemaVersion set to <paramref name="version"/>: in its place when it
        /// has one (under any letter case: to PowerShell, SchemaVersion is the same property), else
        /// as the first property. Every other property keeps its order.
        /// </summary>
        public static JsonElement Stamp(JsonElement document, SchemaVersion version, string path)
        {
            RequireObject(document, path, "only an object can carry a schemaVersion.");
            RequireWritable(document, path);
            bool present = TryGetVersionProperty(document, out _);
            byte[] bytes = JsonText.WriteCompact(w =>
            {
                w.WriteStartObject();
                bool written = false;
                if (!present)
                {
                    w.WriteString(SchemaMigrator.VersionProperty, version.ToString());
                    written = true;
                }
                foreach (var property in document.EnumerateObject())
                {
                    if (IsVersionName(property))
                    {
                        if (!written) w.WriteString(SchemaMigrator.VersionProperty, version.ToString());
                        written = true;
                        continue;
                    }
                    w.WritePropertyName(JsonStringLiteral.PropertyName(property));
                    JsonElementWriter.Write(w, property.Value);
                }
                w.WriteEndObject();
            });
            using var stamped = JsonDocument.Parse(bytes);
            return stamped.RootElement.Clone();
        }

        /// <summary>Refuses anything but a JSON object at the top level.</summary>
        public static void RequireObject(JsonElement document, string path, string why)
        {
            if (document.ValueKind != JsonValueKind.Object)
                throw new InvalidStateDocumentException(path, $"the document is a JSON {Describe(document.ValueKind)}, not an object; {why}");
        }

        internal static string Describe(JsonValueKind kind) => kind switch
        {
            JsonValueKind.Array => "array",
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True => "boolean",
            JsonValueKind.False => "boolean",
            JsonValueKind.Null => "null",
            _ => kind.ToString().ToLowerInvariant(),
        };

        private static bool TryGetVersionProperty(JsonElement document, out JsonElement value)
        {
            foreach (var property in document.EnumerateObject())
            {
                if (!IsVersionName(property)) continue;
                value = property.Value;
                return true;
            }
            value = default;
            return false;
        }

        private static bool IsVersionName(JsonProperty property) =>
            property.NameEquals(SchemaMigrator.VersionProperty) || string.Equals(JsonStringLiteral.PropertyName(property), SchemaMigrator.VersionProperty, StringComparison.OrdinalIgnoreCase);

        private static bool HasBom(byte[] bytes) => bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;

        /// <summary>
        /// Walks the tokens once, keeping each open object's names, and describes the first name
        /// repeated in one object (ignoring case) with where it is; null when there is none.
        /// </summary>
        private static string? FindRepeatedName(byte[] bytes, int start, out long offset)
        {
            offset = 0;
            var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(bytes, start, bytes.Length - start), new JsonReaderOptions { MaxDepth = 128 });
            var open = new Stack<Container>();
            var path = new JsonPath();
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        string name = NameOf(ref reader);
                        var names = open.Peek().Names!;
                        if (names.TryGetValue(name, out string? first))
                        {
                            offset = start + reader.TokenStartIndex;
                            return Repeated(path, first, name);
                        }
                        names.Add(name, name);
                        path.PushProperty(name);
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        EnterValue(open, path);
                        open.Push(new Container(reader.TokenType == JsonTokenType.StartObject));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        open.Pop();
                        LeaveValue(open, path);
                        break;
                    default:
                        EnterValue(open, path);
                        LeaveValue(open, path);
                        break;
                }
            }
            return null;
        }

        private static string Repeated(JsonPath path, string first, string name)
        {
            string where = path.Depth == 0 ? "the top-level object" : "the object at " + path;
            return first == name
                ? $"the property name \"{name}\" appears twice in {where}."
                : $"{where} has the property names \"{first}\" and \"{name}\", which differ only in case: PowerShell cannot tell them apart (names are compared ignoring case, as PowerShell does).";
        }

        /// <summary>Refuses, before a byte is written, names that would not read back, or that no writer can write.</summary>
        private static void RequireWritable(JsonElement document, string path)
        {
            string? problem = FindUnwritableName(document, new JsonPath());
            if (problem != null) throw new InvalidStateDocumentException(path, problem);
        }

        private static string? FindUnwritableName(JsonElement element, JsonPath path)
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                int index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.PushIndex(index++);
                    string? inner = FindUnwritableName(item, path);
                    if (inner != null) return inner;
                    path.Pop();
                }
                return null;
            }
            if (element.ValueKind != JsonValueKind.Object) return null;
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in element.EnumerateObject())
            {
                string name = JsonStringLiteral.PropertyName(property);
                if (names.TryGetValue(name, out string? first)) return Repeated(path, first, name) + " Written, the file could not be read back.";
                names.Add(name, name);
                path.PushProperty(name);
                // Utf8JsonWriter cannot write a lone surrogate in a name (in a value its escape is written raw).
                if (JsonStringLiteral.HasLoneSurrogate(name)) return $"the property name at {path} holds a lone surrogate (half of a UTF-16 pair), which cannot be written as a JSON name.";
                string? inner = FindUnwritableName(property.Value, path);
                if (inner != null) return inner;
                path.Pop();
            }
            return null;
        }

        /// <summary>An array element's index goes on the path; an object member's name is there already.</summary>
        private static void EnterValue(Stack<Container> open, JsonPath path)
        {
            if (open.Count > 0 && open.Peek().Names == null) path.PushIndex(open.Peek().NextIndex++);
        }

        private static void LeaveValue(Stack<Container> open, JsonPath path)
        {
            if (open.Count > 0) path.Pop();
        }

        private static string NameOf(ref Utf8JsonReader reader)
        {
            try
            {
                return reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                // A lone surrogate escape: the raw (escaped) text is ASCII around it, and is kept exactly.
                return JsonStringLiteral.Decode("\"" + Encoding.UTF8.GetString(reader.ValueSpan.ToArray()) + "\"");
            }
        }

        /// <summary>An open object (its names so far, first spelling of each) or array (the next index).</summary>
        private sealed class Container
        {
            public Container(bool isObject) => Names = isObject ? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) : null;

            public Dictionary<string, string>? Names { get; }

            public int NextIndex { get; set; }
        }
    }
}
