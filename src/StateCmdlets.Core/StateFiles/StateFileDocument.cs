using System;
using System.Collections.Generic;
using System.Text.Json;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// A state file's content: plain JSON with the user's own properties at the top level (any JSON
    /// reader, Python's json.load included, reads it), and a top-level "schemaVersion" when versioned.
    /// </summary>
    public static class StateFileDocument
    {
        /// <summary>
        /// Parses a whole file. Invalid JSON, and a property name repeated in one object (also when
        /// only its case differs: PowerShell objects and hashtables cannot hold both), are
        /// <see cref="StateFileCorruptException"/> with the byte offset.
        /// </summary>
        public static JsonElement Parse(byte[] bytes, string path)
        {
            using var document = JsonText.Parse(bytes, path);
            CheckNames(bytes, path);
            return document.RootElement.Clone();
        }

        /// <summary>Indented UTF-8 without a BOM, non-ASCII kept readable, ending in a newline (as batch files).</summary>
        public static byte[] Serialize(JsonElement document) => JsonText.Write(document.WriteTo);

        /// <summary>The schemaVersion of an object; an object without one is 1.0.0.</summary>
        public static SchemaVersion VersionOf(JsonElement document, string path)
        {
            RequireObject(document, path, "only an object carries a schemaVersion.");
            if (!document.TryGetProperty(SchemaMigrator.VersionProperty, out var element)) return SchemaMigrator.Unversioned;
            if (element.ValueKind == JsonValueKind.String && SchemaVersion.TryParse(element.GetString(), out var version)) return version;
            throw new StateFileCorruptException(path, null, $"schemaVersion {element.GetRawText()} is not a major.minor.patch string.");
        }

        /// <summary>
        /// The document with its schemaVersion set to <paramref name="version"/>: in its place when it
        /// has one, else as the first property. Every other property keeps its order.
        /// </summary>
        public static JsonElement Stamp(JsonElement document, SchemaVersion version, string path)
        {
            RequireObject(document, path, "only an object can carry a schemaVersion.");
            bool present = document.TryGetProperty(SchemaMigrator.VersionProperty, out _);
            byte[] bytes = JsonText.WriteCompact(w =>
            {
                w.WriteStartObject();
                if (!present) w.WriteString(SchemaMigrator.VersionProperty, version.ToString());
                foreach (var property in document.EnumerateObject())
                {
                    if (property.NameEquals(SchemaMigrator.VersionProperty)) w.WriteString(SchemaMigrator.VersionProperty, version.ToString());
                    else property.WriteTo(w);
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

        /// <summary>Walks the tokens once, keeping each open object's names, to report a repeated one where it is.</summary>
        private static void CheckNames(byte[] bytes, string path)
        {
            int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(bytes, start, bytes.Length - start), new JsonReaderOptions { MaxDepth = 128 });
            var open = new Stack<HashSet<string>?>();
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        open.Push(new HashSet<string>(StringComparer.OrdinalIgnoreCase));
                        break;
                    case JsonTokenType.StartArray:
                        open.Push(null);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        open.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        string name = reader.GetString()!;
                        if (!open.Peek()!.Add(name))
                            throw new StateFileCorruptException(path, start + reader.TokenStartIndex,
                                $"the property name \"{name}\" appears twice in one object (names are compared ignoring case, as PowerShell does).");
                        break;
                }
            }
        }
    }
}
