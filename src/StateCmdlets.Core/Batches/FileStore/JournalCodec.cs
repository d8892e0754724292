using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StateCmdlets.Core.Batches.FileStore.Schema;
using StateCmdlets.Core.Json;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// The journal file B.journal: a header line, then one result per line, then zero bytes up to
    /// the file's allocated size (so a result is written in place, without growing the file). Every
    /// line is a JSON object ending in "crc": the CRC-32 of the line's bytes before its
    /// <c>,"crc":</c>, so a torn last line is told apart from damage in the middle:
    /// <code>{"journal":1,"batchId":"B","generation":"9f..","crc":"1a2b3c4d"}
    /// {"seq":1,"op":"result","feature":"srv-01","status":"Completed","at":"2026-..Z","crc":"..."}</code>
    /// </summary>
    internal static class JournalCodec
    {
        /// <summary>2: claims, renewals and releases, fencing tokens on results, blockedBy. 1: results and batch-wide changes only.</summary>
        internal const int Format = 2;

        /// <summary>Format 1 said only in a skip's reason that a dependency had blocked it.</summary>
        internal const int FormatWithoutBlockedBy = 1;

        private const string ResultOp = "result";
        private const string ResetBreakerOp = "resetBreaker";
        private const string ResetContextOp = "resetContext";
        private const string ClaimOp = "claim";
        private const string RenewOp = "renew";
        private const string ReleaseOp = "release";
        private static readonly byte[] CrcMarker = Encoding.ASCII.GetBytes(",\"crc\":\"");
        private const int CrcTailLength = 8 + 8 + 2; // ,"crc":" + 8 hex + "}

        internal static byte[] EncodeHeader(string batchId, string generation) => Seal(JsonText.WriteCompact(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("journal", Format);
            w.WriteString("batchId", batchId);
            w.WriteString("generation", generation);
            w.WriteEndObject();
        }));

        internal static byte[] EncodeRecord(long sequence, FeatureResult result, DateTime at) => Seal(JsonText.WriteCompact(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq", sequence);
            w.WriteString("op", ResultOp);
            w.WriteString("feature", result.Feature);
            w.WriteString("status", result.Status.ToString());
            if (result.ErrorMessage != null) w.WriteString("error", result.ErrorMessage);
            if (result.Permanent) w.WriteBoolean("permanent", true);
            if (result.RetryAt.HasValue) w.WriteString("retryAt", JsonText.FormatDate(result.RetryAt.Value));
            if (result.ContextTokens != 0) w.WriteNumber("tokens", result.ContextTokens);
            if (result.BlockedBy != null) w.WriteString("blockedBy", result.BlockedBy);
            if (result.ClaimToken.HasValue) w.WriteNumber("token", result.ClaimToken.Value);
            if (result.Data.HasValue)
            {
                w.WritePropertyName("data");
                JsonElementWriter.Write(w, result.Data.Value);
            }
            w.WriteString("at", JsonText.FormatDate(at));
            w.WriteEndObject();
        }));

        /// <summary>A batch-wide change: closing the circuit breaker, or clearing the context budget.</summary>
        internal static byte[] EncodeOperation(long sequence, JournalOperation operation, DateTime at) => Seal(JsonText.WriteCompact(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq", sequence);
            w.WriteString("op", operation == JournalOperation.ResetBreaker ? ResetBreakerOp : ResetContextOp);
            w.WriteString("at", JsonText.FormatDate(at));
            w.WriteEndObject();
        }));

        /// <summary>Features claimed by a worker until a lease expiry, each with its fencing token.</summary>
        internal static byte[] EncodeClaim(long sequence, WorkerIdentity worker, IReadOnlyList<ClaimItem> items, DateTime at, DateTime until) => Seal(JsonText.WriteCompact(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq", sequence);
            w.WriteString("op", ClaimOp);
            WriteWorker(w, worker);
            w.WriteString("until", JsonText.FormatDate(until));
            w.WriteStartArray("items");
            foreach (var item in items)
            {
                w.WriteStartObject();
                w.WriteString("feature", item.Feature);
                w.WriteNumber("token", item.Token);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("at", JsonText.FormatDate(at));
            w.WriteEndObject();
        }));

        /// <summary>A heartbeat: every claim of the worker that holds at <paramref name="at"/> holds until <paramref name="until"/>.</summary>
        internal static byte[] EncodeRenewal(long sequence, WorkerIdentity worker, DateTime at, DateTime until) => Seal(JsonText.WriteCompact(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq", sequence);
            w.WriteString("op", RenewOp);
            WriteWorker(w, worker);
            w.WriteString("until", JsonText.FormatDate(until));
            w.WriteString("at", JsonText.FormatDate(at));
            w.WriteEndObject();
        }));

        /// <summary>The worker's claims on these features end without a result.</summary>
        internal static byte[] EncodeRelease(long sequence, WorkerIdentity worker, IReadOnlyList<string> features, DateTime at) => Seal(JsonText.WriteCompact(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq", sequence);
            w.WriteString("op", ReleaseOp);
            WriteWorker(w, worker);
            w.WriteStartArray("features");
            foreach (string feature in features) w.WriteStringValue(feature);
            w.WriteEndArray();
            w.WriteString("at", JsonText.FormatDate(at));
            w.WriteEndObject();
        }));

        /// <summary>A worker as snapshot and journal write it: {"host":..,"pid":..,"session":..}.</summary>
        internal static void WriteWorker(Utf8JsonWriter w, WorkerIdentity worker, string name = "worker")
        {
            w.WriteStartObject(name);
            w.WriteString("host", worker.Host);
            w.WriteNumber("pid", worker.ProcessId);
            w.WriteString("session", worker.Session);
            w.WriteEndObject();
        }

        /// <summary>A worker written by <see cref="WriteWorker"/>, or null when the element is not one.</summary>
        internal static WorkerIdentity? ReadWorker(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Object) return null;
            string? host = element.TryGetProperty("host", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
            string? session = element.TryGetProperty("session", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (host == null || session == null || !element.TryGetProperty("pid", out var p) || !p.TryGetInt32(out int pid)) return null;
            return new WorkerIdentity(host, pid, session);
        }

        /// <summary>
        /// Reads a whole journal. Records are read only when its generation is <paramref name="expectedGeneration"/>.
        /// A torn tail (bad lines with no good line after them: a crash
        /// mid-append) is reported through <see cref="JournalContents.TornAt"/>; a bad line followed by a
        /// good one is damage and throws <see cref="StateFileCorruptException"/> with its offset.
        /// </summary>
        internal static JournalContents Decode(byte[] bytes, string path, string batchId, string? expectedGeneration)
        {
            var contents = new JournalContents { Capacity = bytes.Length };
            // Never a crash's doing: a journal is created whole (written, fsynced, then renamed into place).
            if (bytes.Length == 0) throw new StateFileCorruptException(path, 0, "the journal is empty: its header, and any result recorded since the last fold, are gone.");
            var lines = Split(bytes, 0);
            var first = lines[0];
            if (!first.Sealed) throw new StateFileCorruptException(path, 0, "the journal header is damaged.");
            using (var header = Parse(bytes, first, path))
            {
                var root = header.RootElement;
                if (!root.TryGetProperty("journal", out var format) || format.ValueKind != JsonValueKind.Number)
                    throw new StateFileCorruptException(path, 0, "the first line is not a journal header.");
                if (format.GetInt32() > Format)
                    throw new StateVersionTooNewException(path, $"journal format {format.GetInt32()}", $"journal format {Format}");
                contents.Format = format.GetInt32();
                string? id = root.TryGetProperty("batchId", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : null;
                if (id != batchId) throw new StateFileCorruptException(path, 0, $"the journal belongs to batch '{id}', not '{batchId}'.");
                contents.Generation = root.TryGetProperty("generation", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
            }
            contents.HeaderLength = first.End;
            contents.ValidLength = first.End;
            contents.DirtyEnd = first.End;
            // A journal of another generation is stale (its records are in the snapshot): not read further.
            if (contents.Generation != expectedGeneration) return contents;
            DecodeRecords(bytes, lines, 1, 0, path, contents);
            return contents;
        }

        /// <summary>Decodes records appended after <paramref name="baseOffset"/> (the tail a cached writer has not seen).</summary>
        internal static JournalContents DecodeTail(byte[] tail, long baseOffset, string path, int format)
        {
            var contents = new JournalContents { ValidLength = baseOffset, DirtyEnd = baseOffset, Capacity = baseOffset + tail.Length, Format = format };
            DecodeRecords(tail, Split(tail, 0), 0, baseOffset, path, contents);
            return contents;
        }

        private static void DecodeRecords(byte[] bytes, List<Line> lines, int from, long baseOffset, string path, JournalContents contents)
        {
            int firstBad = -1;
            for (int i = from; i < lines.Count; i++)
            {
                var line = lines[i];
                if (!line.Sealed)
                {
                    if (firstBad < 0) firstBad = i;
                    continue;
                }
                if (firstBad >= 0)
                    throw new StateFileCorruptException(path, baseOffset + lines[firstBad].Start,
                        "a journal record is damaged (checksum mismatch) but later records are intact; it is not a torn final write.");
                using var document = Parse(bytes, line, path, baseOffset);
                contents.Records.Add(ReadRecord(document.RootElement, path, baseOffset + line.Start, contents.Format));
                contents.ValidLength = baseOffset + line.End;
            }
            // After the last record: zeros (room allocated ahead), or the leftovers of a torn write.
            int lastNonZero = bytes.Length - 1;
            while (lastNonZero >= 0 && bytes[lastNonZero] == 0) lastNonZero--;
            contents.DirtyEnd = Math.Max(contents.ValidLength, baseOffset + lastNonZero + 1);
            if (contents.DirtyEnd > contents.ValidLength) contents.TornAt = contents.ValidLength;
        }

        private static JournalRecord ReadRecord(JsonElement root, string path, long offset, int format)
        {
            StateFileCorruptException Bad(string problem) => new StateFileCorruptException(path, offset, "journal record " + problem);
            if (!root.TryGetProperty("seq", out var seq) || !seq.TryGetInt64(out long sequence) || sequence < 1) throw Bad("has no valid seq.");
            string? op = root.TryGetProperty("op", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
            string? atText0 = root.TryGetProperty("at", out var a0) && a0.ValueKind == JsonValueKind.String ? a0.GetString() : null;
            if (op == ResetBreakerOp || op == ResetContextOp)
            {
                if (!JsonText.TryParseDate(atText0, out var when)) throw Bad("has no valid time.");
                return new JournalRecord(sequence, op == ResetBreakerOp ? JournalOperation.ResetBreaker : JournalOperation.ResetContext, null, when, offset);
            }
            if (op == ClaimOp || op == RenewOp || op == ReleaseOp)
            {
                if (!JsonText.TryParseDate(atText0, out var when)) throw Bad("has no valid time.");
                var worker = root.TryGetProperty("worker", out var wk) ? ReadWorker(wk) : null;
                if (worker == null) throw Bad("has no valid worker.");
                var record = new JournalRecord(sequence, op == ClaimOp ? JournalOperation.Claim : op == RenewOp ? JournalOperation.Renew : JournalOperation.Release, null, when, offset) { Worker = worker };
                if (op != ReleaseOp)
                {
                    if (!root.TryGetProperty("until", out var u) || u.ValueKind != JsonValueKind.String || !JsonText.TryParseDate(u.GetString(), out var until)) throw Bad("has no valid lease expiry.");
                    record.Until = until;
                }
                if (op == ClaimOp)
                {
                    if (!root.TryGetProperty("items", out var list) || list.ValueKind != JsonValueKind.Array) throw Bad("has no items.");
                    var items = new List<ClaimItem>();
                    foreach (var item in list.EnumerateArray())
                    {
                        string? name = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("feature", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
                        if (name == null || !item.TryGetProperty("token", out var tk) || !tk.TryGetInt64(out long token) || token < 1) throw Bad("has an invalid item.");
                        items.Add(new ClaimItem(name, token));
                    }
                    record.Items = items;
                }
                if (op == ReleaseOp)
                {
                    if (!root.TryGetProperty("features", out var list) || list.ValueKind != JsonValueKind.Array) throw Bad("has no features.");
                    var names = new List<string>();
                    foreach (var item in list.EnumerateArray())
                        names.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Bad("has an invalid feature."));
                    record.Features = names;
                }
                return record;
            }
            if (op != ResultOp)
                throw new StateVersionTooNewException(path, $"journal operation '{op}' (at byte {offset})", $"journal format {Format}");
            string? feature = root.TryGetProperty("feature", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            if (feature == null) throw Bad("has no feature.");
            string? statusText = root.TryGetProperty("status", out var st) && st.ValueKind == JsonValueKind.String ? st.GetString() : null;
            if (!Enum.TryParse(statusText, ignoreCase: false, out FeatureStatus status) || status == FeatureStatus.Pending || status.ToString() != statusText)
                throw Bad($"has an invalid status '{statusText}'.");
            string? error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            JsonElement? data = root.TryGetProperty("data", out var d) && d.ValueKind != JsonValueKind.Null ? d.Clone() : (JsonElement?)null;
            if (!JsonText.TryParseDate(atText0, out var at)) throw Bad("has no valid time.");
            var result = new FeatureResult(feature, status, error, data)
            {
                Permanent = root.TryGetProperty("permanent", out var p) && p.ValueKind == JsonValueKind.True,
                ContextTokens = root.TryGetProperty("tokens", out var t) && t.TryGetInt64(out long tokens) ? tokens : 0,
            };
            if (root.TryGetProperty("retryAt", out var r) && r.ValueKind == JsonValueKind.String)
            {
                if (!JsonText.TryParseDate(r.GetString(), out var retryAt)) throw Bad("has an invalid retryAt.");
                result.RetryAt = retryAt;
            }
            if (root.TryGetProperty("token", out var claimToken))
            {
                if (!claimToken.TryGetInt64(out long token) || token < 1) throw Bad("has an invalid token.");
                result.ClaimToken = token;
            }
            if (status == FeatureStatus.Skipped)
                result.BlockedBy = root.TryGetProperty("blockedBy", out var blocked) && blocked.ValueKind == JsonValueKind.String ? blocked.GetString()
                    : format == FormatWithoutBlockedBy ? LegacyBlocking.DependencyNamedIn(error) : null;
            return new JournalRecord(sequence, JournalOperation.Result, result, at, offset);
        }

        /// <summary>
        /// For repair: every line that is whole and readable, and the offsets of those that are not
        /// (the zeros allocated after the records aside). Never throws for damage.
        /// </summary>
        internal static JournalSalvage Salvage(byte[] bytes, string path)
        {
            var records = new List<JournalRecord>();
            var damaged = new List<long>();
            string? generation = null;
            string? batchId = null;
            bool header = false;
            int salvageFormat = Format;
            var lines = Split(bytes, 0);
            for (int i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                bool zeros = true;
                for (int b = line.Start; b < line.End && zeros; b++) zeros = bytes[b] == 0;
                if (zeros) continue;
                if (!line.Sealed)
                {
                    damaged.Add(line.Start);
                    continue;
                }
                try
                {
                    using var document = Parse(bytes, line, path);
                    var root = document.RootElement;
                    if (i == 0 && root.TryGetProperty("journal", out var format))
                    {
                        header = true;
                        if (format.TryGetInt32(out int number)) salvageFormat = number;
                        generation = root.TryGetProperty("generation", out var g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
                        batchId = root.TryGetProperty("batchId", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : null;
                        continue;
                    }
                    records.Add(ReadRecord(root, path, line.Start, salvageFormat));
                }
                catch (StateException)
                {
                    damaged.Add(line.Start);
                }
            }
            return new JournalSalvage(header, batchId, generation, records, damaged);
        }

        /// <summary>Appends ,"crc":"xxxxxxxx"} and a newline to a compact JSON object.</summary>
        private static byte[] Seal(byte[] json)
        {
            int bodyLength = json.Length - 1; // without the closing brace
            string crc = Crc32.Compute(json, 0, bodyLength).ToString("x8", CultureInfo.InvariantCulture);
            var line = new byte[bodyLength + CrcTailLength + 1];
            Buffer.BlockCopy(json, 0, line, 0, bodyLength);
            Buffer.BlockCopy(CrcMarker, 0, line, bodyLength, CrcMarker.Length);
            Encoding.ASCII.GetBytes(crc, 0, 8, line, bodyLength + CrcMarker.Length);
            line[line.Length - 3] = (byte)'"';
            line[line.Length - 2] = (byte)'}';
            line[line.Length - 1] = (byte)'\n';
            return line;
        }

        private static JsonDocument Parse(byte[] bytes, Line line, string path, long baseOffset = 0)
        {
            try
            {
                return JsonDocument.Parse(new ReadOnlyMemory<byte>(bytes, line.Start, line.End - 1 - line.Start));
            }
            catch (JsonException)
            {
                // The checksum matched, so this is what was written: not a torn write.
                throw new StateFileCorruptException(path, baseOffset + line.Start, "a journal line has a valid checksum but is not JSON.");
            }
        }

        /// <summary>Lines with their offsets; Sealed means newline-terminated with a matching checksum.</summary>
        private static List<Line> Split(byte[] bytes, int start)
        {
            var lines = new List<Line>();
            int at = start;
            while (at < bytes.Length)
            {
                int newline = Array.IndexOf(bytes, (byte)'\n', at);
                int end = newline < 0 ? bytes.Length : newline + 1;
                lines.Add(new Line(at, end, newline >= 0 && ChecksumMatches(bytes, at, newline)));
                at = end;
            }
            return lines;
        }

        private static bool ChecksumMatches(byte[] bytes, int start, int newline)
        {
            int length = newline - start;
            if (length < CrcTailLength + 2) return false;
            int tail = newline - CrcTailLength;
            for (int i = 0; i < CrcMarker.Length; i++) if (bytes[tail + i] != CrcMarker[i]) return false;
            if (bytes[newline - 2] != (byte)'"' || bytes[newline - 1] != (byte)'}') return false;
            string hex = Encoding.ASCII.GetString(bytes, tail + CrcMarker.Length, 8);
            if (!uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint expected)) return false;
            return Crc32.Compute(bytes, start, tail - start) == expected;
        }

        private readonly struct Line
        {
            internal Line(int start, int end, bool sealedLine)
            {
                Start = start;
                End = end;
                Sealed = sealedLine;
            }

            internal int Start { get; }

            /// <summary>Offset just past the line's newline.</summary>
            internal int End { get; }

            internal bool Sealed { get; }
        }
    }
}
