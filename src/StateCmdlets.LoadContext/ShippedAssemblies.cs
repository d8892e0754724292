using System;
using System.IO;
using System.Reflection;

namespace StateCmdlets.Loading
{
    /// <summary>
    /// Which file of the module's bin/&lt;framework&gt; folder answers a request for an assembly:
    /// the one of that name, if its version is at least the one asked for and it has the same
    /// public key token. Both loaders ask it, and the tests exercise it on the shipped files.
    /// </summary>
    public static class ShippedAssemblies
    {
        /// <summary>
        /// The path of the shipped file that satisfies <paramref name="requested"/>, or null when
        /// the folder has none (then the host's own copy is used, as for the PowerShell engine).
        /// </summary>
        public static string? PathFor(string folder, AssemblyName requested)
        {
            if (folder == null) throw new ArgumentNullException(nameof(folder));
            if (requested == null) throw new ArgumentNullException(nameof(requested));
            string? name = requested.Name;
            if (string.IsNullOrEmpty(name) || name!.IndexOfAny(NotInName) >= 0) return null;
            // Resource (satellite) assemblies: the module ships none.
            if (!string.IsNullOrEmpty(requested.CultureName)) return null;

            string path = Path.Combine(folder, name + ".dll");
            if (!File.Exists(path)) return null;
            AssemblyName shipped;
            try
            {
                shipped = AssemblyName.GetAssemblyName(path);
            }
            catch (BadImageFormatException)
            {
                return null;
            }
            if (!string.Equals(shipped.Name, name, StringComparison.OrdinalIgnoreCase)) return null;
            if (requested.Version != null && (shipped.Version == null || shipped.Version < requested.Version)) return null;
            return SameToken(requested.GetPublicKeyToken(), shipped.GetPublicKeyToken()) ? path : null;
        }

        private static readonly char[] NotInName = { '/', '\\', ':', '\0' };

        /// <summary>A request without a token takes any file; one with a token only a file signed with that key.</summary>
        private static bool SameToken(byte[]? wanted, byte[]? shipped)
        {
            if (wanted == null || wanted.Length == 0) return true;
            if (shipped == null || shipped.Length != wanted.Length) return false;
            for (int i = 0; i < wanted.Length; i++)
                if (wanted[i] != shipped[i]) return false;
            return true;
        }
    }
}
