using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace StateCmdlets
{
    /// <summary>
    /// JSON numbers as PowerShell numbers and back, losing nothing: integers become Int32, Int64 or
    /// BigInteger, anything with a fraction or exponent a Double (as ConvertFrom-Json does), and
    /// what a Double cannot hold a <see cref="JsonNumber"/>. A number read and not changed is
    /// written back with its own spelling (1e-30 stays 1e-30, 1.10 stays 1.10), however it is
    /// passed around; a new or changed Double is written in its shortest round-trip form.
    /// </summary>
    internal static class JsonNumbers
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
        private static readonly char[] FractionOrExponent = { '.', 'e', 'E' };

        // Keyed by the boxed value read (boxes never change, and a changed number is a new box),
        // holding the JSON text when it is not how the value would be written anyway.
        private static readonly ConditionalWeakTable<object, string> Spellings = new ConditionalWeakTable<object, string>();

        internal static object Read(JsonElement element)
        {
            string text = element.GetRawText();
            object value = Parse(text);
            if (!(value is JsonNumber) && Format(value) != text) Spellings.Add(value, text);
            return value;
        }

        /// <summary>Writes a number (of any .NET numeric type, or a <see cref="JsonNumber"/>); false for anything else.</summary>
        internal static bool TryWrite(Utf8JsonWriter writer, object value)
        {
            if (Spellings.TryGetValue(value, out string? spelling))
            {
                writer.WriteRawValue(spelling, skipInputValidation: true);
                return true;
            }
            switch (value)
            {
                case byte _: case sbyte _: case short _: case ushort _: case int _: case uint _: case long _:
                    writer.WriteNumberValue(System.Convert.ToInt64(value, Invariant));
                    return true;
                case ulong big:
                    writer.WriteNumberValue(big);
                    return true;
                case BigInteger huge:
                    writer.WriteRawValue(huge.ToString(Invariant), skipInputValidation: true);
                    return true;
                case decimal exact:
                    // As the user gave it, trailing zeros included (1.10m is 1.10).
                    writer.WriteNumberValue(exact);
                    return true;
                case double d when double.IsNaN(d) || double.IsInfinity(d):
                    // JSON has no such numbers: as ConvertTo-Json, their names as text.
                    writer.WriteStringValue(d.ToString(Invariant));
                    return true;
                case float f when float.IsNaN(f) || float.IsInfinity(f):
                    writer.WriteStringValue(f.ToString(Invariant));
                    return true;
                case double d:
                    writer.WriteRawValue(Format(d), skipInputValidation: true);
                    return true;
                case float f:
                    // The float's own shortest text (1.1, not 1.10000002384186).
                    writer.WriteRawValue(Format(double.Parse(f.ToString("R", Invariant), NumberStyles.Float, Invariant)), skipInputValidation: true);
                    return true;
                case JsonNumber kept:
                    writer.WriteRawValue(kept.Text, skipInputValidation: true);
                    return true;
                default:
                    return false;
            }
        }

        private static object Parse(string text)
        {
            if (text.IndexOfAny(FractionOrExponent) < 0)
            {
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, Invariant, out int small)) return small;
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, Invariant, out long large)) return large;
                return BigInteger.Parse(text, NumberStyles.AllowLeadingSign, Invariant);
            }
            // .NET Framework fails on overflow, .NET gives Infinity; an underflow to 0 of a non-zero number loses it too.
            if (double.TryParse(text, NumberStyles.Float, Invariant, out double d) && !double.IsInfinity(d) && !(d == 0 && HasNonZeroDigit(text)))
                return d;
            return new JsonNumber(text);
        }

        /// <summary>How a value read is written when nobody remembers its spelling.</summary>
        private static string Format(object value) => value switch
        {
            double d => Format(d),
            BigInteger huge => huge.ToString(Invariant),
            _ => System.Convert.ToString(value, Invariant) ?? string.Empty,
        };

        /// <summary>The shortest text that reads back as the same Double, with ".0" on a whole number so it stays a Double.</summary>
        private static string Format(double d)
        {
            string text = d.ToString("R", Invariant);
            // "R" on .NET Framework misses the exact value now and then; 17 digits never do.
            if (double.Parse(text, NumberStyles.Float, Invariant) != d) text = d.ToString("G17", Invariant);
            return text.IndexOfAny(FractionOrExponent) < 0 ? text + ".0" : text;
        }

        private static bool HasNonZeroDigit(string text)
        {
            foreach (char c in text)
            {
                if (c == 'e' || c == 'E') break;
                if (c >= '1' && c <= '9') return true;
            }
            return false;
        }
    }
}
