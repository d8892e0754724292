namespace StateCmdlets.Bench
{
    /// <summary>A ratio from this run checked against the target it is meant to meet.</summary>
    internal sealed class Headline
    {
        internal Headline(string what, string at, double? value, string target, bool atLeast, double threshold)
        {
            What = what;
            At = at;
            Value = value;
            Target = target;
            Passed = value.HasValue && (atLeast ? value.Value >= threshold : value.Value <= threshold);
        }

        internal string What { get; }

        internal string At { get; }

        /// <summary>Null when a row it needs was not measured.</summary>
        internal double? Value { get; }

        internal string Target { get; }

        internal bool Passed { get; }

        internal string Verdict => Value.HasValue ? (Passed ? "PASS" : "MISS") : "n/a";
    }
}
