using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using StateCmdlets.Core.Json;

namespace StateCmdlets
{
    /// <summary>
    /// PowerShell objects to JSON. Hashtables and PSCustomObjects become objects, lists arrays,
    /// numbers as <see cref="JsonNumbers"/> says, dates ISO 8601 strings, GUIDs, URIs, versions,
    /// enums and the like their text. Any other .NET object is written with its properties (as
    /// ConvertTo-Json does), but such object graphs can be endless (FileInfo.Directory.Root.Root...)
    /// or cyclic, so: a .NET object inside two others, or one met before, is written as its text
    /// (and the caller told once). What cannot be written faithfully (a hashtable that contains
    /// itself, two names differing only in case, more than <see cref="MaxValues"/> values) is a
    /// <see cref="JsonConversionException"/> naming its JSON path; nothing is half written.
    /// </summary>
    internal sealed class PowerShellToJson
    {
        /// <summary>Containers nested deeper are refused: past 128 levels JSON readers (ours too) give up.</summary>
        internal const int MaxDepth = 100;

        /// <summary>A .NET object inside this many others is written as its text (ConvertTo-Json's default depth is 2).</summary>
        internal const int MaxObjectNesting = 2;

        /// <summary>A document of more values is refused: a state file is rewritten whole on every change.</summary>
        internal const int MaxValues = 1000000;

        private static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        private static readonly JsonDocumentOptions ReadBack = new JsonDocumentOptions { MaxDepth = 128 };

        private const PSMemberTypes Readable = PSMemberTypes.Property | PSMemberTypes.NoteProperty | PSMemberTypes.AliasProperty | PSMemberTypes.ScriptProperty | PSMemberTypes.CodeProperty;

        private readonly Utf8JsonWriter _writer;
        private readonly bool _allowCaseTwins;
        private readonly JsonPath _path = new JsonPath();

        // What is being written, each with the path depth where it started: meeting one again is a cycle.
        private readonly Dictionary<object, int> _open = new Dictionary<object, int>(ByReference.Instance);

        // .NET objects written with their properties so far.
        private readonly HashSet<object> _expanded = new HashSet<object>(ByReference.Instance);

        private int _values;
        private int _asText;
        private string? _firstAsText;

        private PowerShellToJson(Utf8JsonWriter writer, bool allowCaseTwins)
        {
            _writer = writer;
            _allowCaseTwins = allowCaseTwins;
        }

        /// <summary>
        /// <paramref name="value"/> as a JSON element. <paramref name="warn"/> hears, once, of
        /// values written as their text rather than their properties. <paramref name="allowCaseTwins"/>
        /// lets two names differing only in case through (a feature's Data: the last one wins when read).
        /// </summary>
        internal static JsonElement Convert(object? value, Action<string>? warn, bool allowCaseTwins = false)
        {
            using var stream = new MemoryStream();
            PowerShellToJson converter;
            using (var writer = new Utf8JsonWriter(stream, WriterOptions))
            {
                converter = new PowerShellToJson(writer, allowCaseTwins);
                converter.Write(value, 0, 0);
            }
            if (converter._asText > 0 && warn != null)
            {
                warn(converter._asText == 1
                    ? $"The value at {converter._firstAsText} was written as its text, not its properties: a .NET object inside {MaxObjectNesting} other .NET objects, or met before, is written as its text. Save hashtables or [pscustomobject]s to keep more."
                    : $"{converter._asText} values were written as their text, not their properties, the first at {converter._firstAsText}: a .NET object inside {MaxObjectNesting} other .NET objects, or met before, is written as its text. Save hashtables or [pscustomobject]s to keep more.");
            }
            using var document = JsonDocument.Parse(stream.ToArray(), ReadBack);
            return document.RootElement.Clone();
        }

        private void Write(object? value, int depth, int nesting)
        {
            if (++_values > MaxValues)
                throw new JsonConversionException($"the document has more than {MaxValues.ToString("N0", CultureInfo.InvariantCulture)} values (the limit was reached at {_path}); a state file is rewritten whole on every change, so keep large data in files of its own.");
            PSObject? wrapper = value as PSObject;
            if (wrapper != null && !(wrapper.BaseObject is PSCustomObject)) value = wrapper.BaseObject;
            if (WriteScalar(value)) return;
            switch (value)
            {
                case IDictionary dictionary:
                    Enter(dictionary, depth);
                    WriteDictionary(dictionary, depth);
                    Leave(dictionary);
                    return;
                case PSObject custom:
                    Enter(custom, depth);
                    WriteProperties(custom, depth, nesting);
                    Leave(custom);
                    return;
                case IEnumerable list:
                    Enter(list, depth);
                    WriteList(list, depth, nesting);
                    Leave(list);
                    return;
            }
            // Its wrapper, when it came in one, has the members PowerShell added (PSPath and the like).
            WriteDotNetObject(value!, wrapper, depth, nesting);
        }

        /// <summary>Values written as one JSON value, no properties looked at.</summary>
        private bool WriteScalar(object? value)
        {
            switch (value)
            {
                case null:
                    _writer.WriteNullValue();
                    return true;
                case string text:
                    WriteString(text);
                    return true;
                case char c:
                    WriteString(c.ToString());
                    return true;
                case bool flag:
                    _writer.WriteBooleanValue(flag);
                    return true;
                case SwitchParameter flag:
                    _writer.WriteBooleanValue(flag.IsPresent);
                    return true;
                case DateTime date:
                    _writer.WriteStringValue(date.ToString("o", CultureInfo.InvariantCulture));
                    return true;
                case DateTimeOffset date:
                    _writer.WriteStringValue(date.ToString("o", CultureInfo.InvariantCulture));
                    return true;
                case Enum e:
                    _writer.WriteStringValue(e.ToString());
                    return true;
                case Guid _: case Uri _: case TimeSpan _: case Version _: case ScriptBlock _: case Type _:
                    WriteString(System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                    return true;
                default:
                    return JsonNumbers.TryWrite(_writer, value);
            }
        }

        private void WriteString(string text)
        {
            // Utf8JsonWriter would put U+FFFD in place of a lone surrogate; its escape keeps it.
            if (JsonStringLiteral.HasLoneSurrogate(text)) _writer.WriteRawValue(JsonStringLiteral.Encode(text), skipInputValidation: true);
            else _writer.WriteStringValue(text);
        }

        private void WriteDictionary(IDictionary dictionary, int depth)
        {
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            _writer.WriteStartObject();
            // IDictionary's own enumerator: a generic Dictionary's plain one gives KeyValuePairs.
            foreach (object? item in Enumerate(dictionary.GetEnumerator))
            {
                var entry = (DictionaryEntry)item!;
                object key = entry.Key is PSObject k ? k.BaseObject : entry.Key;
                WriteMember(names, System.Convert.ToString(key, CultureInfo.InvariantCulture) ?? string.Empty, entry.Value, depth, 0);
            }
            _writer.WriteEndObject();
        }

        /// <summary>A PSCustomObject's properties, or a .NET object's readable ones.</summary>
        private void WriteProperties(PSObject target, int depth, int nesting)
        {
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            _writer.WriteStartObject();
            foreach (object? item in Enumerate(((IEnumerable)target.Properties).GetEnumerator))
            {
                if (!(item is PSPropertyInfo property) || !property.IsGettable || (property.MemberType & Readable) == 0) continue;
                object? propertyValue;
                try { propertyValue = property.Value; }
                catch (ExtendedTypeSystemException) { continue; } // a getter that throws: left out, as ConvertTo-Json does
                WriteMember(names, property.Name, propertyValue, depth, nesting);
            }
            _writer.WriteEndObject();
        }

        private void WriteMember(Dictionary<string, string> names, string name, object? value, int depth, int nesting)
        {
            if (names.TryGetValue(name, out string? first) && !_allowCaseTwins)
                throw new JsonConversionException($"{Where()} has the property names \"{first}\" and \"{name}\", which differ only in case: PowerShell cannot tell them apart, so the file could not be read back.");
            names[name] = name;
            _path.PushProperty(name);
            if (JsonStringLiteral.HasLoneSurrogate(name))
                throw new JsonConversionException($"the property name at {_path} holds a lone surrogate (half of a UTF-16 pair), which cannot be written as a JSON name.");
            _writer.WritePropertyName(name);
            Write(value, depth + 1, nesting);
            _path.Pop();
        }

        private void WriteList(IEnumerable list, int depth, int nesting)
        {
            _writer.WriteStartArray();
            int index = 0;
            foreach (object? item in Enumerate(list.GetEnumerator))
            {
                _path.PushIndex(index++);
                Write(item, depth + 1, nesting);
                _path.Pop();
            }
            _writer.WriteEndArray();
        }

        private void WriteDotNetObject(object value, PSObject? wrapper, int depth, int nesting)
        {
            if (_open.ContainsKey(value) || _expanded.Contains(value))
            {
                WriteAsText(value);
                return;
            }
            if (nesting >= MaxObjectNesting || depth >= MaxDepth)
            {
                WriteAsText(value);
                return;
            }
            _expanded.Add(value);
            _open.Add(value, _path.Depth);
            WriteProperties(wrapper ?? PSObject.AsPSObject(value), depth, nesting + 1);
            _open.Remove(value);
        }

        private void WriteAsText(object value)
        {
            string text;
            try { text = System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty; }
            catch (Exception e) when (!(e is PipelineStoppedException)) { text = value.GetType().FullName ?? string.Empty; } // a ToString that throws: the type's name
            WriteString(text);
            if (_asText++ == 0) _firstAsText = $"{_path} (a {value.GetType().Name})";
        }

        private void Enter(object container, int depth)
        {
            if (_open.TryGetValue(container, out int at))
                throw new JsonConversionException($"the value at {_path} contains itself (it is the one at {_path.ToString(at)}); a state document must be a tree of values, not a cycle.");
            if (depth >= MaxDepth)
                throw new JsonConversionException($"the value at {_path} is nested more than {MaxDepth} levels deep; a state file that deep could not be read back.");
            _open.Add(container, _path.Depth);
        }

        private void Leave(object container) => _open.Remove(container);

        private string Where() => _path.Depth == 0 ? "the top-level object" : "the object at " + _path;

        /// <summary>Enumerates a user's collection; one that fails (or is used up) is an error naming where, not a crash.</summary>
        private IEnumerable<object?> Enumerate(Func<IEnumerator> start)
        {
            IEnumerator enumerator;
            try { enumerator = start(); }
            catch (Exception e) when (!(e is PipelineStoppedException)) { throw Failed(e); }
            while (true)
            {
                object? current;
                try
                {
                    if (!enumerator.MoveNext()) yield break;
                    current = enumerator.Current;
                }
                catch (Exception e) when (!(e is PipelineStoppedException) && !(e is JsonConversionException)) { throw Failed(e); }
                yield return current;
            }
        }

        private JsonConversionException Failed(Exception e) => new JsonConversionException($"reading the collection at {_path} failed: {e.Message}");

        /// <summary>Identity, not equality: two equal hashtables are not one hashtable met twice.</summary>
        private sealed class ByReference : IEqualityComparer<object>
        {
            internal static readonly ByReference Instance = new ByReference();

            public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);

            public int GetHashCode(object obj) => RuntimeHelpers.GetHashCode(obj);
        }
    }
}
