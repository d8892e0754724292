using System.Collections.Generic;
using System.Globalization;

namespace StateCmdlets.Bench
{
    /// <summary>The same feature names for every method, so each one stores the same data.</summary>
    internal static class FeatureNames
    {
        internal static string Name(int index) => "feature-" + index.ToString("D6", CultureInfo.InvariantCulture);

        internal static IReadOnlyList<string> For(int count)
        {
            var names = new string[count];
            for (int i = 0; i < count; i++) names[i] = Name(i);
            return names;
        }
    }
}
