using System;
using System.IO;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>Operating-system failures carry the file and what we were doing with it.</summary>
    internal static class FileOperation
    {
        internal static void Guard(string path, string operation, Action action) => Guard(path, operation, () => { action(); return true; });

        internal static T Guard<T>(string path, string operation, Func<T> action)
        {
            try
            {
                return action();
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new StateIOException(path, operation, e);
            }
        }
    }
}
