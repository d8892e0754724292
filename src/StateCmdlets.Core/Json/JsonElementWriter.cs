using System;
using System.Text.Json;

namespace StateCmdlets.Core.Json
{
    /// <summary>
    /// Writes a parsed element back out. JsonElement.WriteTo throws on a string holding a lone
    /// surrogate (an unpaired \ud800 escape, as Python writes); such strings are written with
    /// their escape kept, so user data read from a file goes back into it exactly.
    /// </summary>
    internal static class JsonElementWriter
    {
        internal static void Write(Utf8JsonWriter writer, JsonElement element)
        {
            // The common case stays the fast one: no \uD800-\uDFFF escape anywhere in the element.
            if (!HasSurrogateEscape(element.GetRawText()))
            {
                element.WriteTo(writer);
                return;
            }
            WriteEach(writer, element, inArray: false);
        }

        private static void WriteEach(Utf8JsonWriter writer, JsonElement element, bool inArray)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    writer.WriteStartObject();
                    foreach (var property in element.EnumerateObject())
                    {
                        writer.WritePropertyName(property.Name); // a lone surrogate in a name has no way out: state files refuse it first
                        WriteEach(writer, property.Value, inArray: false);
                    }
                    writer.WriteEndObject();
                    return;
                case JsonValueKind.Array:
                    writer.WriteStartArray();
                    foreach (var item in element.EnumerateArray()) WriteEach(writer, item, inArray: true);
                    writer.WriteEndArray();
                    return;
                case JsonValueKind.String:
                    string text = JsonStringLiteral.StringValue(element);
                    // Utf8JsonWriter would put U+FFFD in place of a lone surrogate: write its escape as it came.
                    if (!JsonStringLiteral.HasLoneSurrogate(text)) writer.WriteStringValue(text);
                    // A raw value gets no line break of its own: an array element is given the one it would have had.
                    else if (inArray && writer.Options.Indented) writer.WriteRawValue(Environment.NewLine + new string(' ', 2 * writer.CurrentDepth) + JsonStringLiteral.Encode(text), skipInputValidation: true);
                    else writer.WriteRawValue(JsonStringLiteral.Encode(text), skipInputValidation: true);
                    return;
                default:
                    element.WriteTo(writer);
                    return;
            }
        }

        /// <summary>A \u escape in the surrogate range (a backslash-escaped "\u" gives a harmless false alarm).</summary>
        private static bool HasSurrogateEscape(string raw)
        {
            for (int i = raw.IndexOf("\\u", StringComparison.Ordinal); i >= 0 && i + 3 < raw.Length; i = raw.IndexOf("\\u", i + 2, StringComparison.Ordinal))
            {
                char first = raw[i + 2], second = raw[i + 3];
                if ((first == 'd' || first == 'D') && "89abcdefABCDEF".IndexOf(second) >= 0) return true;
            }
            return false;
        }
    }
}
