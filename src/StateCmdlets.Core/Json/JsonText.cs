using System;
using System.Globalization;
using System.IO;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace StateCmdlets.Core.Json
{
    /// <summary>How every state file is parsed and written: one place for options, dates and error offsets.</summary>
    internal static class JsonText
    {
        private static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions
        {
            Indented = true,
            // Keep non-ASCII names readable in the file (they are data, not HTML).
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

        private static readonly JsonDocumentOptions DocumentOptions = new JsonDocumentOptions
        {
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Disallow,
            MaxDepth = 128,
        };

        /// <summary>Parses a whole file; a syntax error becomes <see cref="StateFileCorruptException"/> with its byte offset.</summary>
        internal static JsonDocument Parse(byte[] bytes, string path)
        {
            int start = HasBom(bytes) ? 3 : 0;
            if (bytes.Length - start == 0 || IsAllWhitespace(bytes, start))
                throw new StateFileCorruptException(path, 0, "the file is empty.", CorruptionKind.Unparsable);
            try
            {
                return JsonDocument.Parse(new ReadOnlyMemory<byte>(bytes, start, bytes.Length - start), DocumentOptions);
            }
            catch (JsonException e)
            {
                long? offset = e.LineNumber.HasValue && e.BytePositionInLine.HasValue
                    ? start + OffsetOf(bytes, start, e.LineNumber.Value, e.BytePositionInLine.Value)
                    : (long?)null;
                throw new StateFileCorruptException(path, offset, "it is not valid JSON (" + FirstSentence(e.Message) + ").", CorruptionKind.Unparsable, e);
            }
        }

        internal static byte[] Write(Action<Utf8JsonWriter> write)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, WriterOptions))
            {
                write(writer);
            }
            stream.WriteByte((byte)'\n');
            return stream.ToArray();
        }

        private static readonly JsonWriterOptions CompactOptions = new JsonWriterOptions
        {
            Indented = false,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

        /// <summary>One compact JSON value, no trailing newline (journal lines).</summary>
        internal static byte[] WriteCompact(Action<Utf8JsonWriter> write)
        {
            using var stream = new MemoryStream(256);
            using (var writer = new Utf8JsonWriter(stream, CompactOptions))
            {
                write(writer);
            }
            return stream.ToArray();
        }

        internal static string FormatDate(DateTime utc) => utc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

        internal static bool TryParseDate(string? text, out DateTime utc) =>
            DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out utc);

        private static bool HasBom(byte[] bytes) => bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF;

        private static bool IsAllWhitespace(byte[] bytes, int start)
        {
            for (int i = start; i < bytes.Length; i++)
                if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r' && bytes[i] != '\n') return false;
            return true;
        }

        /// <summary>Byte offset of (line, byte in line), both from 0, as System.Text.Json reports them.</summary>
        private static long OffsetOf(byte[] bytes, int start, long line, long bytePositionInLine)
        {
            long offset = 0;
            int length = bytes.Length - start;
            for (long seen = 0; seen < line && offset < length; offset++)
                if (bytes[start + offset] == (byte)'\n') seen++;
            return Math.Min(offset + bytePositionInLine, length);
        }

        private static string FirstSentence(string message)
        {
            int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            return (cut > 0 ? message.Substring(0, cut) : message).TrimEnd('.', ' ');
        }
    }
}
