using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace StateCmdlets.Core.Json
{
    /// <summary>
    /// Where a walk over a JSON document is, as segments pushed and popped on the way down: a
    /// message then names the spot as $.a.b[2] or $['odd name'], whatever tool wrote the file.
    /// The text is built only when asked for, so a walk that finds nothing pays almost nothing.
    /// </summary>
    internal sealed class JsonPath
    {
        private readonly List<object> _segments = new List<object>();

        /// <summary>How many segments deep the walk is.</summary>
        public int Depth => _segments.Count;

        public void PushProperty(string name) => _segments.Add(name);

        public void PushIndex(int index) => _segments.Add(index);

        public void Pop() => _segments.RemoveAt(_segments.Count - 1);

        public override string ToString() => ToString(_segments.Count);

        /// <summary>The path of the first <paramref name="depth"/> segments (an enclosing value's path).</summary>
        public string ToString(int depth)
        {
            var text = new StringBuilder("$");
            for (int i = 0; i < depth && i < _segments.Count; i++)
            {
                if (_segments[i] is int index) text.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
                else AppendName(text, (string)_segments[i]);
            }
            return text.ToString();
        }

        private static void AppendName(StringBuilder text, string name)
        {
            if (IsPlain(name))
            {
                text.Append('.').Append(name);
                return;
            }
            text.Append("['");
            foreach (char c in name)
            {
                if (c == '\'' || c == '\\') text.Append('\\').Append(c);
                else if (char.IsControl(c) || char.IsSurrogate(c)) text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else text.Append(c);
            }
            text.Append("']");
        }

        /// <summary>A name that reads unambiguously after a dot: letters, digits and _ , not starting with a digit.</summary>
        private static bool IsPlain(string name)
        {
            if (name.Length == 0 || char.IsDigit(name[0])) return false;
            foreach (char c in name)
                if (!(char.IsLetterOrDigit(c) || c == '_')) return false;
            return true;
        }
    }
}
