using System;
using System.Collections;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StateCmdlets
{
    /// <summary>
    /// A feature's Data between PowerShell objects and JSON: hashtables and PSCustomObjects
    /// become JSON objects, lists become arrays, dates ISO 8601 strings; JSON objects come back as
    /// PSCustomObjects, so $_.Data.Sha256 works.
    /// </summary>
    internal static class PowerShellJson
    {
        /// <summary>Deeper than any sensible result record; beyond it values are written as their text.</summary>
        internal const int MaxDepth = 32;

        private static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        internal static JsonElement ToJson(object? value)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, WriterOptions))
            {
                Write(writer, value, 0);
            }
            using var document = JsonDocument.Parse(stream.ToArray());
            return document.RootElement.Clone();
        }

        internal static object? FromJson(JsonElement element) => FromJson(element, asHashtable: false);

        /// <summary>With <paramref name="asHashtable"/>, JSON objects become ordered hashtables (keys ignore case, as in [ordered]@{}).</summary>
        internal static object? FromJson(JsonElement element, bool asHashtable)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object when asHashtable:
                    var table = new System.Collections.Specialized.OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                    foreach (var property in element.EnumerateObject()) table[property.Name] = FromJson(property.Value, asHashtable);
                    return table;
                case JsonValueKind.Object:
                    var result = new PSObject();
                    foreach (var property in element.EnumerateObject())
                    {
                        // A name repeated in the JSON (or differing only in case, which PowerShell
                        // cannot tell apart): the last one wins, as in ConvertFrom-Json.
                        var existing = result.Properties[property.Name];
                        if (existing != null) existing.Value = FromJson(property.Value, asHashtable);
                        else result.Properties.Add(new PSNoteProperty(property.Name, FromJson(property.Value, asHashtable)));
                    }
                    return result;
                case JsonValueKind.Array:
                    var items = new object?[element.GetArrayLength()];
                    int i = 0;
                    foreach (var item in element.EnumerateArray()) items[i++] = FromJson(item, asHashtable);
                    return items;
                case JsonValueKind.String:
                    return element.GetString();
                case JsonValueKind.Number:
                    if (element.TryGetInt32(out int small)) return small;
                    if (element.TryGetInt64(out long large)) return large;
                    if (element.TryGetDecimal(out decimal exact)) return exact;
                    return element.GetDouble();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }

        private static void Write(Utf8JsonWriter writer, object? value, int depth)
        {
            if (value is PSObject wrapped && !(wrapped.BaseObject is PSCustomObject)) value = wrapped.BaseObject;
            switch (value)
            {
                case null:
                    writer.WriteNullValue();
                    return;
                case string text:
                    writer.WriteStringValue(text);
                    return;
                case char c:
                    writer.WriteStringValue(c.ToString());
                    return;
                case bool flag:
                    writer.WriteBooleanValue(flag);
                    return;
                case SwitchParameter flag:
                    writer.WriteBooleanValue(flag.IsPresent);
                    return;
                case DateTime date:
                    writer.WriteStringValue(date.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case DateTimeOffset date:
                    writer.WriteStringValue(date.ToString("o", CultureInfo.InvariantCulture));
                    return;
                case Enum e:
                    writer.WriteStringValue(e.ToString());
                    return;
                case double d when double.IsNaN(d) || double.IsInfinity(d):
                    writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                    return;
                case float f when float.IsNaN(f) || float.IsInfinity(f):
                    writer.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
                    return;
                case byte _: case sbyte _: case short _: case ushort _: case int _: case uint _: case long _:
                    writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    return;
                case ulong big:
                    writer.WriteNumberValue(big);
                    return;
                case float _: case double _:
                    writer.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                    return;
                case decimal money:
                    writer.WriteNumberValue(money);
                    return;
                case Guid _: case Uri _: case TimeSpan _: case Version _: case ScriptBlock _:
                    writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                    return;
            }

            if (depth >= MaxDepth)
            {
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }

            switch (value)
            {
                case IDictionary dictionary:
                    writer.WriteStartObject();
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                        Write(writer, entry.Value, depth + 1);
                    }
                    writer.WriteEndObject();
                    return;
                case IEnumerable list:
                    writer.WriteStartArray();
                    foreach (object? item in list) Write(writer, item, depth + 1);
                    writer.WriteEndArray();
                    return;
            }

            // PSCustomObject or any other object: its readable properties, as ConvertTo-Json does.
            writer.WriteStartObject();
            foreach (var property in PSObject.AsPSObject(value).Properties)
            {
                if (!property.IsGettable) continue;
                if ((property.MemberType & (PSMemberTypes.Property | PSMemberTypes.NoteProperty | PSMemberTypes.AliasProperty | PSMemberTypes.ScriptProperty | PSMemberTypes.CodeProperty)) == 0) continue;
                object? propertyValue;
                try { propertyValue = property.Value; }
                catch (ExtendedTypeSystemException) { continue; }
                writer.WritePropertyName(property.Name);
                Write(writer, propertyValue, depth + 1);
            }
            writer.WriteEndObject();
        }
    }
}
