namespace StateCmdlets
{
    /// <summary>
    /// A JSON number a Double cannot hold (beyond ±1.8e308, such as 1e400, or so small it would
    /// become 0), kept as its exact text: it is written back unchanged instead of turning into
    /// Infinity or 0. Its text is in Text, and it shows as that text.
    /// </summary>
    public sealed class JsonNumber
    {
        internal JsonNumber(string text) => Text = text;

        /// <summary>The number exactly as the JSON had it.</summary>
        public string Text { get; }

        public override string ToString() => Text;

        public override bool Equals(object? obj) => obj is JsonNumber other && other.Text == Text;

        public override int GetHashCode() => Text.GetHashCode();
    }
}
