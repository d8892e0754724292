using System;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Keeps a feature's stored data (Invoke-Batch stores each item's output) to a size: a batch
    /// of 40,000 items each storing a megabyte of output would make every snapshot huge and every
    /// load slow. Data whose JSON is longer is kept as the start of that JSON text, as a string.
    /// </summary>
    internal static class FeatureDataLimit
    {
        /// <summary>64 KiB of UTF-8 JSON per item.</summary>
        public const int DefaultMaxBytes = 64 * 1024;

        // Only what JSON must escape is escaped: non-ASCII text keeps its own bytes, as the store writes it.
        private static readonly JsonSerializerOptions AsWritten = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        /// <summary>
        /// <paramref name="data"/> as it is when its JSON text is at most <paramref name="maxBytes"/>
        /// bytes of UTF-8; otherwise a JSON string holding the start of that text (whole characters),
        /// as long as it can be with the string, quotes and escapes included, still within the limit.
        /// </summary>
        public static JsonElement Fit(JsonElement data, int maxBytes, out bool truncated)
        {
            if (maxBytes < 2) throw new ArgumentOutOfRangeException(nameof(maxBytes), "A JSON string needs at least its two quotes.");
            string text = data.GetRawText();
            truncated = Encoding.UTF8.GetByteCount(text) > maxBytes;
            if (!truncated) return data;
            // The most characters whose bytes fit, then fewer while the escaped string is too long.
            int length = CharactersWithin(text, maxBytes - 2);
            while (true)
            {
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(text.Substring(0, length), AsWritten);
                int excess = json.Length - maxBytes;
                if (excess <= 0)
                {
                    using (var document = JsonDocument.Parse(json)) return document.RootElement.Clone();
                }
                length = WholeCharacters(text, Math.Max(0, length - Math.Max(1, excess / 6)));
            }
        }

        /// <summary>How many leading characters of <paramref name="text"/> fit in <paramref name="bytes"/> bytes of UTF-8, never half a surrogate pair.</summary>
        private static int CharactersWithin(string text, int bytes)
        {
            int used = 0;
            int i = 0;
            while (i < text.Length)
            {
                int width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                int size = width == 2 ? 4 : text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3;
                if (used + size > bytes) break;
                used += size;
                i += width;
            }
            return i;
        }

        private static int WholeCharacters(string text, int length) =>
            length > 0 && length < text.Length && char.IsLowSurrogate(text[length]) && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;
    }
}
