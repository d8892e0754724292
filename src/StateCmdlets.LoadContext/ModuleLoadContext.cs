using System.Reflection;
using System.Runtime.Loader;

namespace StateCmdlets.Loading
{
    /// <summary>
    /// PowerShell 7: the module's own load context. Every assembly the cmdlets ask for that ships
    /// in bin/net8.0 is loaded here, from there, whatever another module has loaded into the
    /// default context under the same name; anything else (the PowerShell engine, the .NET
    /// libraries) comes from the default context, and so does a shipped library the runtime itself
    /// has at least as new (see <see cref="RuntimeAssemblies"/>). The PostgreSQL store's Npgsql and
    /// its Microsoft.Extensions.* libraries need nothing here: published into bin/net8.0, they load
    /// into this context the first time the code that uses them runs.
    /// </summary>
    internal sealed class ModuleLoadContext : AssemblyLoadContext
    {
        private static readonly Assembly Loader = typeof(ModuleLoadContext).Assembly;
        private static readonly string LoaderName = Loader.GetName().Name!;

        private readonly ShippedAssemblies _shipped;
        private readonly RuntimeAssemblies _runtime;

        internal ModuleLoadContext(string folder)
            : base("StateCmdlets " + folder, isCollectible: false)
        {
            _shipped = new ShippedAssemblies(folder);
            _runtime = new RuntimeAssemblies(_shipped.Names);
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // The loader itself stays the one copy the root module loaded.
            if (assemblyName.Name == LoaderName) return Loader;
            // No file calls here (see ShippedAssemblies): lookups in what was read at the start.
            if (_runtime.Satisfies(assemblyName)) return null;
            string? path = _shipped.PathFor(assemblyName);
            return path == null ? null : LoadFromAssemblyPath(path);
        }
    }
}
