using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace StateCmdlets.Loading
{
    /// <summary>
    /// Which of the shipped assemblies the .NET runtime itself also has, and in which version: a
    /// dependency built against .NET 8 may ship a library that later runtimes include, newer
    /// (Npgsql brings System.Diagnostics.DiagnosticSource 9.0 for .NET 8, whose own is 8.0). The
    /// runtime's copy is used when it is at least the version asked for, as the host would choose;
    /// the shipped one only where the runtime's is older. Read once, when the load context is made.
    /// </summary>
    internal sealed class RuntimeAssemblies
    {
        private readonly Dictionary<string, Version?> _versions = new Dictionary<string, Version?>(StringComparer.OrdinalIgnoreCase);

        internal RuntimeAssemblies(IEnumerable<string> shippedNames)
        {
            string? runtime = Path.GetDirectoryName(typeof(object).Assembly.Location);
            if (string.IsNullOrEmpty(runtime)) return;
            foreach (string name in shippedNames)
            {
                string path = Path.Combine(runtime, name + ".dll");
                if (!File.Exists(path)) continue;
                try
                {
                    _versions[name] = AssemblyName.GetAssemblyName(path).Version;
                }
                catch (BadImageFormatException)
                {
                    // Not an assembly after all: the shipped file serves.
                }
            }
        }

        /// <summary>Whether the runtime's own copy satisfies <paramref name="requested"/>.</summary>
        internal bool Satisfies(AssemblyName requested)
        {
            if (string.IsNullOrEmpty(requested.Name) || !_versions.TryGetValue(requested.Name!, out Version? version)) return false;
            return requested.Version == null || (version != null && version >= requested.Version);
        }
    }
}
