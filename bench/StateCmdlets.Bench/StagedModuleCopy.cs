using System.IO;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// A private copy of the staged module for the child pwsh: a build.ps1 Build or Test started
    /// meanwhile re-stages out/ (delete, then copy), which must not pull the module from under a run.
    /// </summary>
    internal static class StagedModuleCopy
    {
        /// <summary>Copies the manifest's folder into <paramref name="folder"/>; returns the copy's manifest.</summary>
        internal static string Make(string moduleManifest, string folder)
        {
            string source = Path.GetDirectoryName(moduleManifest)!;
            string target = Path.Combine(folder, "module", Path.GetFileName(source));
            foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                string copy = Path.Combine(target, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }
            return Path.Combine(target, Path.GetFileName(moduleManifest));
        }
    }
}
