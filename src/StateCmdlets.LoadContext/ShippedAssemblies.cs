using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace StateCmdlets.Loading
{
    /// <summary>
    /// The assemblies of one bin/&lt;framework&gt; folder, read once, and which of them answers a
    /// request: the one of that name, if its version is at least the one asked for and it has the
    /// same public key token. Both loaders ask it; the tests exercise it on the shipped files.
    /// </summary>
    /// <remarks>
    /// The folder is read when the object is made, never while answering: a loader is asked while
    /// the runtime compiles a method, which may be right after a P/Invoke and before the code reads
    /// its errno (Marshal.GetLastWin32Error). Any file call made then (File.Exists is a stat)
    /// would overwrite that errno.
    /// </remarks>
    public sealed class ShippedAssemblies
    {
        private readonly Dictionary<string, (string Path, AssemblyName Name)> _byName =
            new Dictionary<string, (string, AssemblyName)>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Reads the name of every assembly (*.dll) in <paramref name="folder"/>.</summary>
        public ShippedAssemblies(string folder)
        {
            if (folder == null) throw new ArgumentNullException(nameof(folder));
            Folder = folder;
            foreach (string path in Directory.GetFiles(folder, "*.dll"))
            {
                AssemblyName name;
                try
                {
                    name = AssemblyName.GetAssemblyName(path);
                }
                catch (BadImageFormatException)
                {
                    continue; // a native library, not an assembly
                }
                if (!string.IsNullOrEmpty(name.Name)) _byName[name.Name!] = (path, name);
            }
        }

        /// <summary>The folder read.</summary>
        public string Folder { get; }

        /// <summary>The names of the assemblies shipped there.</summary>
        public IEnumerable<string> Names => _byName.Keys;

        /// <summary>
        /// The path of the shipped file that satisfies <paramref name="requested"/>, or null when
        /// the folder has none (then the host's own copy is used, as for the PowerShell engine).
        /// </summary>
        public string? PathFor(AssemblyName requested)
        {
            if (requested == null) throw new ArgumentNullException(nameof(requested));
            // Resource (satellite) assemblies: the module ships none.
            if (string.IsNullOrEmpty(requested.Name) || !string.IsNullOrEmpty(requested.CultureName)) return null;
            if (!_byName.TryGetValue(requested.Name!, out var shipped)) return null;
            if (requested.Version != null && (shipped.Name.Version == null || shipped.Name.Version < requested.Version)) return null;
            return SameToken(requested.GetPublicKeyToken(), shipped.Name.GetPublicKeyToken()) ? shipped.Path : null;
        }

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
