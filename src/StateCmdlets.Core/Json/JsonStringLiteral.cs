using System;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StateCmdlets.Core.Json
{
    /// <summary>
    /// JSON string text for the one case System.Text.Json refuses: a lone surrogate, such as the
    /// \ud800 Python's json.dumps writes for text that is not valid Unicode. .NET strings hold one
    /// fine, so such text is read and written back exactly rather than refused or replaced.
    /// </summary>
    internal static class JsonStringLiteral
    {
        /// <summary>A string element's text, lone surrogates kept (JsonElement.GetString throws on one).</summary>
        public static string StringValue(JsonElement element)
        {
            try
            {
                return element.GetString() ?? string.Empty;
            }
            catch (InvalidOperationException)
            {
                return Decode(element.GetRawText());
            }
        }

        /// <summary>A property's name, lone surrogates kept (JsonProperty.Name throws on one).</summary>
        public static string PropertyName(JsonProperty property)
        {
            try
            {
                return property.Name;
            }
            catch (InvalidOperationException)
            {
                // The raw text is "name": value; the name is the literal up to its closing quote.
                string raw = property.ToString();
                int end = 1;
                while (raw[end] != '"') end += raw[end] == '\\' ? 2 : 1;
                return Decode(raw.Substring(0, end + 1));
            }
        }

        /// <summary>True when <paramref name="text"/> has a surrogate without its partner.</summary>
        public static bool HasLoneSurrogate(string text) => FirstLoneSurrogate(text) >= 0;

        /// <summary>The index of the first unpaired surrogate in <paramref name="text"/>, or -1.</summary>
        public static int FirstLoneSurrogate(string text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                else if (char.IsSurrogate(c)) return i;
            }
            return -1;
        }

        /// <summary>
        /// The text of a JSON string literal (quotes included, as GetRawText gives it), escapes
        /// resolved and unpaired surrogates kept. Anything but a well-formed literal is a FormatException.
        /// </summary>
        public static string Decode(string literal)
        {
            if (literal.Length < 2 || literal[0] != '"' || literal[literal.Length - 1] != '"')
                throw new FormatException("Not a JSON string literal.");
            var text = new StringBuilder(literal.Length);
            int end = literal.Length - 1;
            for (int i = 1; i < end; i++)
            {
                char c = literal[i];
                if (c != '\\')
                {
                    text.Append(c);
                    continue;
                }
                if (++i >= end) throw new FormatException("A JSON string literal ends inside an escape.");
                switch (literal[i])
                {
                    case '"': text.Append('"'); break;
                    case '\\': text.Append('\\'); break;
                    case '/': text.Append('/'); break;
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    case 'n': text.Append('\n'); break;
                    case 'r': text.Append('\r'); break;
                    case 't': text.Append('\t'); break;
                    case 'u':
                        if (i + 4 >= end || !ushort.TryParse(literal.Substring(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
                            throw new FormatException("A \\u escape in a JSON string literal lacks its four hex digits.");
                        text.Append((char)code);
                        i += 4;
                        break;
                    default:
                        throw new FormatException($"'\\{literal[i]}' is not a JSON escape.");
                }
            }
            return text.ToString();
        }

        /// <summary>
        /// <paramref name="text"/> as a JSON string literal, quotes included: quotes, backslashes,
        /// control characters and unpaired surrogates escaped, everything else as it is.
        /// </summary>
        public static string Encode(string text)
        {
            var literal = new StringBuilder(text.Length + 8).Append('"');
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    literal.Append(c).Append(text[++i]);
                    continue;
                }
                switch (c)
                {
                    case '"': literal.Append("\\\""); break;
                    case '\\': literal.Append("\\\\"); break;
                    case '\n': literal.Append("\\n"); break;
                    case '\r': literal.Append("\\r"); break;
                    case '\t': literal.Append("\\t"); break;
                    default:
                        if (c < ' ' || char.IsSurrogate(c)) literal.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else literal.Append(c);
                        break;
                }
            }
            return literal.Append('"').ToString();
        }
    }
}
