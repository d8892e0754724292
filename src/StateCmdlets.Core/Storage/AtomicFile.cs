using System;
using System.IO;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// Replaces a file so that every reader, locked or not, sees either the whole old content or
    /// the whole new content, and the new content survives power loss once this returns:
    /// create-new temp (0600) in the same folder, write, fsync, rename over, fsync the folder.
    /// </summary>
    internal static class AtomicFile
    {
        /// <param name="flushDirectory">
        /// False only when another write into the same folder follows at once and fsyncs it (that one
        /// fsync makes both renames durable).
        /// </param>
        /// <param name="keepPermissions">
        /// True to give the new file the permission bits of the one it replaces (a state file another
        /// account reads); a new file, and every file without it, is owner-only (0600).
        /// </param>
        public static void Write(IFileSystem fileSystem, string path, byte[] content, bool flushDirectory = true, bool keepPermissions = false)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
            // Same folder as the target, so the rename never crosses file systems.
            string temp = Path.Combine(directory, AuxiliaryFiles.TempName(Path.GetFileName(path)));
            int? mode = keepPermissions ? fileSystem.GetUnixMode(path) : null;
            bool renamed = false;
            try
            {
                using (var file = fileSystem.CreateNew(temp))
                {
                    // Before the fsync, so the mode is as durable as the content.
                    if (mode.HasValue) fileSystem.SetUnixMode(temp, mode.Value);
                    file.Write(content, 0, content.Length);
                    file.Flush();
                }
                fileSystem.Replace(temp, path);
                renamed = true;
                if (flushDirectory) fileSystem.FlushDirectory(directory);
            }
            catch when (!renamed)
            {
                TryDelete(fileSystem, temp);
                throw;
            }
        }

        private static void TryDelete(IFileSystem fileSystem, string temp)
        {
            try { fileSystem.Delete(temp); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
