using System;
using System.Text.RegularExpressions;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// Picks the store of a command, once, from what the caller named: a store locator (-Store)
    /// first, else a state directory, else $env:STATECMDLETS_STORE, else the file store's default
    /// folder ($env:STATECMDLETS_HOME, else the per-user state folder). A locator is a PostgreSQL
    /// connection string (keyword=value pairs, as Npgsql takes them) or a postgresql:// URI; any
    /// other text is a folder.
    /// </summary>
    internal static class StoreLocator
    {
        public const string EnvironmentVariable = "STATECMDLETS_STORE";

        // "Host=db1;...": a keyword, then '='. A folder path starts otherwise (/, ~, ., X:\) or has no '='.
        private static readonly Regex KeywordValue = new Regex(@"^\s*[A-Za-z][A-Za-z0-9 _]*=", RegexOptions.CultureInvariant);

        /// <summary>What kind of store <paramref name="text"/> names.</summary>
        public static StoreKind KindOf(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)) return StoreKind.PostgreSql;
            return KeywordValue.IsMatch(text) ? StoreKind.PostgreSql : StoreKind.File;
        }

        /// <summary>
        /// The store for <paramref name="store"/> (a locator), else <paramref name="stateDirectory"/>,
        /// else the environment's; empty text counts as not given.
        /// </summary>
        public static StoreChoice Choose(string? store, string? stateDirectory, Func<string, string?> getEnvironment)
        {
            if (!string.IsNullOrWhiteSpace(store)) return new StoreChoice(KindOf(store!), store!, StoreOrigin.StoreParameter);
            if (!string.IsNullOrEmpty(stateDirectory)) return new StoreChoice(StoreKind.File, stateDirectory!, StoreOrigin.StateDirectoryParameter);
            string? variable = getEnvironment(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(variable)) return new StoreChoice(KindOf(variable!), variable!.Trim(), StoreOrigin.StoreVariable);
            return new StoreChoice(StoreKind.File, Storage.StateDirectory.Default(getEnvironment), StoreOrigin.Default);
        }

        public static StoreChoice Choose(string? store, string? stateDirectory) => Choose(store, stateDirectory, Environment.GetEnvironmentVariable);
    }
}
