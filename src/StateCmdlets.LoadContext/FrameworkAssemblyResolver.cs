using System;
using System.Collections.Generic;
using System.Reflection;

namespace StateCmdlets.Loading
{
    /// <summary>
    /// Windows PowerShell 5.1: .NET Framework has no load contexts, and a module cannot add binding
    /// redirects to powershell.exe.config. The dependencies ask for older versions of each other
    /// than the ones shipped (System.Memory 4.0.1.2 asks for System.Runtime.CompilerServices.Unsafe
    /// 4.0.4.1; 6.0.0.0 ships), which fails to bind and raises AppDomain.AssemblyResolve; this
    /// handler answers with the shipped file when it is at least the version asked for, as a
    /// binding redirect would.
    /// </summary>
    internal static class FrameworkAssemblyResolver
    {
        private static readonly object Sync = new object();
        private static readonly List<ShippedAssemblies> Folders = new List<ShippedAssemblies>();

        /// <summary>
        /// Answers requests from <paramref name="folder"/> from now on. Never removed: objects of
        /// the module's types outlive Remove-Module, and their code still loads dependencies.
        /// </summary>
        internal static void Register(string folder)
        {
            lock (Sync)
            {
                if (Folders.Exists(f => f.Folder == folder)) return;
                if (Folders.Count == 0) AppDomain.CurrentDomain.AssemblyResolve += Resolve;
                Folders.Add(new ShippedAssemblies(folder));
            }
        }

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            AssemblyName requested;
            try
            {
                requested = new AssemblyName(args.Name);
            }
            catch (ArgumentException)
            {
                return null;
            }
            ShippedAssemblies[] folders;
            lock (Sync) folders = Folders.ToArray();
            foreach (var folder in folders)
            {
                string? path = folder.PathFor(requested);
                if (path != null) return Assembly.LoadFrom(path);
            }
            return null;
        }
    }
}
