using System;
using System.IO;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// Where a path really leads, for <see cref="IFileSystem.ResolveLinks"/>: a rename over a link
    /// would replace the link, and a lock next to it would not be the target's lock.
    /// </summary>
    internal static class SymbolicLinks
    {
        /// <summary>
        /// Unix: the folder through realpath(3) (so every path to a file names the same lock), then
        /// the last component, when it is a link, to its final target. Missing folders stay as given:
        /// the caller reports them.
        /// </summary>
        internal static string ResolveUnix(string path)
        {
            string full = Path.GetFullPath(path);
            string? folder = Path.GetDirectoryName(full);
            if (folder == null) return full; // the root itself
            string located = Path.Combine(UnixNative.RealPath(folder) ?? folder, Path.GetFileName(full));
            string? link = UnixNative.ReadLink(located);
            if (link == null) return located;
            string? target = UnixNative.RealPath(located);
            // Also checked: an old macOS realpath succeeds with a missing last component.
            if (target != null && (File.Exists(target) || Directory.Exists(target))) return target;
            string pointsTo = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(located) ?? "/", link));
            throw new FileNotFoundException($"'{located}' is a symbolic link to '{pointsTo}', which does not exist.", pointsTo);
        }

        /// <summary>
        /// Windows: only a last component that is a link (or junction) is followed; netstandard2.0
        /// has no link API, and a linked folder leads to the same lock file anyway. When the
        /// attributes cannot be read the path stays as given, and the write reports what is wrong.
        /// </summary>
        internal static string ResolveWindows(string path)
        {
            string full = Path.GetFullPath(path);
            FileAttributes attributes;
            try
            {
                attributes = File.GetAttributes(full);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return full;
            }
            return (attributes & FileAttributes.ReparsePoint) == 0 ? full : WindowsNative.FinalPath(full);
        }
    }
}
