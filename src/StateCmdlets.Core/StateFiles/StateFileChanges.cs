using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using StateCmdlets.Core.Json;
using System.Text.RegularExpressions;

namespace StateCmdlets.Core.StateFiles
{
    /// <summary>
    /// What changed between two documents, as JSON paths (Name, Nested.Key, ['odd name']):
    /// properties removed, added, and values changed. Objects are compared property by property
    /// (their order does not matter); an array is one value, so a changed item changes the array.
    /// </summary>
    internal sealed class StateFileChanges
    {
        /// <summary>How many paths <see cref="Describe()"/> names before it says "and N more".</summary>
        public const int DefaultLimit = 10;

        private static readonly Regex PlainName = new Regex("^[A-Za-z_][A-Za-z0-9_-]*$", RegexOptions.CultureInvariant);
        private static readonly HashSet<string> NoNames = new HashSet<string>(StringComparer.Ordinal);

        private readonly List<string> _removed = new List<string>();
        private readonly List<string> _added = new List<string>();
        private readonly List<string> _changed = new List<string>();

        private StateFileChanges()
        {
        }

        public IReadOnlyList<string> Removed => _removed;

        public IReadOnlyList<string> Added => _added;

        public IReadOnlyList<string> Changed => _changed;

        public int Count => _removed.Count + _added.Count + _changed.Count;

        /// <summary>
        /// The changes from <paramref name="before"/> to <paramref name="after"/>. Top-level
        /// properties named in <paramref name="ignoreTopLevel"/> (such as schemaVersion, which a
        /// migration reports on its own) are left out.
        /// </summary>
        public static StateFileChanges Between(JsonElement before, JsonElement after, params string[] ignoreTopLevel)
        {
            var changes = new StateFileChanges();
            var ignored = new HashSet<string>(ignoreTopLevel ?? Array.Empty<string>(), StringComparer.Ordinal);
            if (before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object)
                changes.CompareObjects(before, after, string.Empty, ignored);
            else if (!Same(before, after))
                changes._changed.Add("$");
            return changes;
        }

        /// <summary>"remove B, add C, D, change A.X", naming at most <paramref name="limit"/> paths ("... and 3 more"); empty when nothing changed.</summary>
        public string Describe(int limit)
        {
            if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), "At least one path is named.");
            var text = new StringBuilder();
            int named = 0;
            foreach (var (verb, paths) in new[] { ("remove", _removed), ("add", _added), ("change", _changed) })
            {
                if (paths.Count == 0 || named == limit) continue;
                var shown = paths.Take(limit - named).ToList();
                if (text.Length > 0) text.Append(", ");
                text.Append(verb).Append(' ').Append(string.Join(", ", shown));
                named += shown.Count;
            }
            if (Count > named) text.Append(" and ").Append((Count - named).ToString(CultureInfo.InvariantCulture)).Append(" more");
            return text.ToString();
        }

        public string Describe() => Describe(DefaultLimit);

        public override string ToString() => Describe();

        private void CompareObjects(JsonElement before, JsonElement after, string path, HashSet<string> ignored)
        {
            var afterByName = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in after.EnumerateObject()) afterByName[JsonStringLiteral.PropertyName(property)] = property.Value;
            var beforeNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in before.EnumerateObject())
            {
                beforeNames.Add(JsonStringLiteral.PropertyName(property));
                if (ignored.Contains(JsonStringLiteral.PropertyName(property))) continue;
                string child = Join(path, JsonStringLiteral.PropertyName(property));
                if (!afterByName.TryGetValue(JsonStringLiteral.PropertyName(property), out var next)) _removed.Add(child);
                else if (property.Value.ValueKind == JsonValueKind.Object && next.ValueKind == JsonValueKind.Object) CompareObjects(property.Value, next, child, NoNames);
                else if (!Same(property.Value, next)) _changed.Add(child);
            }
            foreach (var property in after.EnumerateObject())
            {
                if (!beforeNames.Contains(JsonStringLiteral.PropertyName(property)) && !ignored.Contains(JsonStringLiteral.PropertyName(property))) _added.Add(Join(path, JsonStringLiteral.PropertyName(property)));
            }
        }

        private static string Join(string path, string name)
        {
            if (PlainName.IsMatch(name)) return path.Length == 0 ? name : path + "." + name;
            return path + "['" + name.Replace("\\", "\\\\").Replace("'", "\\'") + "']";
        }

        /// <summary>Deep equality of JSON values: numbers by value (1.0 is 1), objects whatever their property order.</summary>
        private static bool Same(JsonElement a, JsonElement b)
        {
            if (a.ValueKind != b.ValueKind) return false;
            switch (a.ValueKind)
            {
                case JsonValueKind.Object:
                    var bProperties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                    foreach (var property in b.EnumerateObject()) bProperties[JsonStringLiteral.PropertyName(property)] = property.Value;
                    int count = 0;
                    foreach (var property in a.EnumerateObject())
                    {
                        count++;
                        if (!bProperties.TryGetValue(JsonStringLiteral.PropertyName(property), out var other) || !Same(property.Value, other)) return false;
                    }
                    return count == bProperties.Count;
                case JsonValueKind.Array:
                    if (a.GetArrayLength() != b.GetArrayLength()) return false;
                    using (var left = a.EnumerateArray())
                    using (var right = b.EnumerateArray())
                    {
                        while (left.MoveNext() && right.MoveNext())
                        {
                            if (!Same(left.Current, right.Current)) return false;
                        }
                    }
                    return true;
                case JsonValueKind.String:
                    return string.Equals(JsonStringLiteral.StringValue(a), JsonStringLiteral.StringValue(b), StringComparison.Ordinal);
                case JsonValueKind.Number:
                    if (a.TryGetDecimal(out decimal x) && b.TryGetDecimal(out decimal y)) return x == y;
                    // Beyond decimal's range: the same value only when written the same way.
                    return a.TryGetDouble(out double u) && b.TryGetDouble(out double v) ? u.Equals(v) : a.GetRawText() == b.GetRawText();
                default:
                    return true; // true, false, null: the kind is the value
            }
        }
    }
}
