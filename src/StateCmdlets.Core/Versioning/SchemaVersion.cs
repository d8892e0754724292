using System;
using System.Globalization;

namespace StateCmdlets.Core.Versioning
{
    /// <summary>major.minor.patch of an on-disk format. A newer major cannot be read; a newer minor can.</summary>
    public readonly struct SchemaVersion : IComparable<SchemaVersion>, IEquatable<SchemaVersion>
    {
        public SchemaVersion(int major, int minor, int patch)
        {
            Major = major;
            Minor = minor;
            Patch = patch;
        }

        public int Major { get; }

        public int Minor { get; }

        public int Patch { get; }

        public static bool TryParse(string? text, out SchemaVersion version)
        {
            version = default;
            if (string.IsNullOrEmpty(text)) return false;
            var parts = text!.Split('.');
            if (parts.Length != 3) return false;
            var numbers = new int[3];
            for (int i = 0; i < 3; i++)
            {
                if (parts[i].Length == 0 || parts[i].Length > 9) return false;
                foreach (char c in parts[i]) if (c < '0' || c > '9') return false;
                numbers[i] = int.Parse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture);
            }
            version = new SchemaVersion(numbers[0], numbers[1], numbers[2]);
            return true;
        }

        public static SchemaVersion Parse(string text) =>
            TryParse(text, out var version) ? version : throw new FormatException($"'{text}' is not a major.minor.patch version.");

        public int CompareTo(SchemaVersion other)
        {
            int c = Major.CompareTo(other.Major);
            if (c != 0) return c;
            c = Minor.CompareTo(other.Minor);
            return c != 0 ? c : Patch.CompareTo(other.Patch);
        }

        public bool Equals(SchemaVersion other) => CompareTo(other) == 0;

        public override bool Equals(object? obj) => obj is SchemaVersion other && Equals(other);

        public override int GetHashCode() => (Major * 397 ^ Minor) * 397 ^ Patch;

        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0}.{1}.{2}", Major, Minor, Patch);

        public static bool operator ==(SchemaVersion a, SchemaVersion b) => a.Equals(b);

        public static bool operator !=(SchemaVersion a, SchemaVersion b) => !a.Equals(b);

        public static bool operator <(SchemaVersion a, SchemaVersion b) => a.CompareTo(b) < 0;

        public static bool operator >(SchemaVersion a, SchemaVersion b) => a.CompareTo(b) > 0;

        public static SchemaVersion Max(SchemaVersion a, SchemaVersion b) => a < b ? b : a;
    }
}
