using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The whole batch as the seed tool kept it: every item in memory, the whole file serialized
    /// again (indented, the same fields as our snapshot) on every change.
    /// </summary>
    internal sealed class NaiveBatchDocument
    {
        private static readonly JsonWriterOptions Indented = new JsonWriterOptions { Indented = true };

        private readonly string _name;
        private readonly DateTime _createdAt = DateTime.UtcNow;
        private readonly Item[] _items;

        internal NaiveBatchDocument(string name, IReadOnlyList<string> features)
        {
            _name = name;
            _items = new Item[features.Count];
            for (int i = 0; i < features.Count; i++) _items[i] = new Item(features[i]);
        }

        internal void Complete(int index, DateTime now)
        {
            var item = _items[index];
            item.Status = "Completed";
            item.Attempts++;
            item.CompletedAt = now;
            item.UpdatedAt = now;
        }

        internal byte[] Serialize()
        {
            var buffer = new ArrayBufferWriter<byte>(_items.Length * 128);
            using (var w = new Utf8JsonWriter(buffer, Indented))
            {
                w.WriteStartObject();
                w.WriteString("name", _name);
                w.WriteString("createdAt", Format(_createdAt));
                w.WriteStartArray("features");
                foreach (var item in _items)
                {
                    w.WriteStartObject();
                    w.WriteString("name", item.Name);
                    w.WriteString("status", item.Status);
                    w.WriteNumber("attempts", item.Attempts);
                    if (item.CompletedAt.HasValue) w.WriteString("completedAt", Format(item.CompletedAt.Value));
                    if (item.UpdatedAt.HasValue) w.WriteString("updatedAt", Format(item.UpdatedAt.Value));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        }

        private static string Format(DateTime utc) => utc.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

        private sealed class Item
        {
            internal Item(string name) => Name = name;

            internal string Name { get; }

            internal string Status { get; set; } = "Pending";

            internal int Attempts { get; set; }

            internal DateTime? CompletedAt { get; set; }

            internal DateTime? UpdatedAt { get; set; }
        }
    }
}
