using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;

namespace StateCmdlets.Loading
{
    /// <summary>
    /// What the root module (StateCmdlets.psm1) calls: loads the cmdlet assembly of one
    /// bin/&lt;framework&gt; folder, so that every dependency it has resolves to a file shipped there,
    /// and returns it, with the other assemblies whose public types scripts use, for
    /// Import-Module -Assembly (which is also what lets PowerShell find those types by name).
    /// </summary>
    public static class ModuleLoader
    {
        /// <summary>The cmdlet assembly's file name.</summary>
        public const string CmdletAssemblyFile = "StateCmdlets.dll";

        /// <summary>The core's name: scripts use its public types too (MigrationOutcome, the status enums).</summary>
        public const string CoreAssemblyName = "StateCmdlets.Core";

        private static readonly object Sync = new object();
        private static readonly Dictionary<string, Assembly> Loaded = new Dictionary<string, Assembly>(StringComparer.Ordinal);

        /// <summary>Whether this process has loaded the cmdlet assembly of <paramref name="binFolder"/> already.</summary>
        public static bool IsLoaded(string binFolder)
        {
            if (string.IsNullOrEmpty(binFolder)) throw new ArgumentException("The module's bin folder is required.", nameof(binFolder));
            lock (Sync) return Loaded.ContainsKey(Path.GetFullPath(binFolder));
        }

        /// <summary>
        /// The cmdlet assembly of <paramref name="binFolder"/>, loaded once per folder and process
        /// (an assembly cannot be unloaded, so a re-import gets the same one back).
        /// PowerShell 7: into a load context of the module's own. Windows PowerShell 5.1: into the
        /// process, with a resolver for the dependencies shipped next to it.
        /// </summary>
        public static Assembly LoadCmdlets(string binFolder)
        {
            if (string.IsNullOrEmpty(binFolder)) throw new ArgumentException("The module's bin folder is required.", nameof(binFolder));
            string folder = Path.GetFullPath(binFolder);
            string cmdlets = Path.Combine(folder, CmdletAssemblyFile);
            if (!File.Exists(cmdlets)) throw new FileNotFoundException($"The module is incomplete: '{cmdlets}' is missing. Reinstall StateCmdlets.", cmdlets);
            lock (Sync)
            {
                if (Loaded.TryGetValue(folder, out Assembly? assembly)) return assembly;
#if NETFRAMEWORK
                FrameworkAssemblyResolver.Register(folder);
                assembly = Assembly.LoadFrom(cmdlets);
#else
                assembly = new ModuleLoadContext(folder).LoadFromAssemblyPath(cmdlets);
#endif
                Loaded.Add(folder, assembly);
                return assembly;
            }
        }

        /// <summary>
        /// The cmdlet assembly of <paramref name="binFolder"/> (see <see cref="LoadCmdlets"/>), then
        /// the core as the cmdlets see it: the assemblies whose public types scripts use.
        /// </summary>
        public static Assembly[] LoadModule(string binFolder)
        {
            Assembly cmdlets = LoadCmdlets(binFolder);
            foreach (AssemblyName reference in cmdlets.GetReferencedAssemblies())
            {
                if (reference.Name != CoreAssemblyName) continue;
#if NETFRAMEWORK
                // The cmdlets bind it from their own folder (the LoadFrom context): the same file.
                Assembly core = Assembly.LoadFrom(Path.Combine(Path.GetDirectoryName(cmdlets.Location)!, CoreAssemblyName + ".dll"));
#else
                Assembly core = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(cmdlets)!.LoadFromAssemblyName(reference);
#endif
                return new[] { cmdlets, core };
            }
            throw new InvalidOperationException($"'{cmdlets.Location}' does not reference {CoreAssemblyName}.");
        }
    }
}
