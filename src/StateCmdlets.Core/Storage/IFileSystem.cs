using System;
using System.Collections.Generic;

namespace StateCmdlets.Core.Storage
{
    /// <summary>
    /// Every file operation the store makes, in one narrow interface, so tests can inject faults
    /// and replay what a crash at any point could leave on disk.
    /// </summary>
    internal interface IFileSystem
    {
        bool FileExists(string path);

        /// <summary>Whole file; throws <see cref="System.IO.FileNotFoundException"/> when missing.</summary>
        byte[] ReadAllBytes(string path);

        /// <summary>Up to <paramref name="count"/> bytes from <paramref name="offset"/> (fewer at the end of the file).</summary>
        byte[] ReadRange(string path, long offset, int count);

        /// <summary>Size in bytes; throws <see cref="System.IO.FileNotFoundException"/> when missing.</summary>
        long FileLength(string path);

        /// <summary>The file's size and last write time, or null when it does not exist.</summary>
        FileStamp? Stamp(string path);

        /// <summary>Creates a new file that must not exist yet (create-new), owner-only (0600) on Unix.</summary>
        IWritableFile CreateNew(string path);

        /// <summary>Opens for appending, creating the file (0600) when missing.</summary>
        IWritableFile OpenAppend(string path);

        /// <summary>Opens an existing file for reading and writing in place (<see cref="IWritableFile.ReadAt"/>, <see cref="IWritableFile.WriteAt"/>).</summary>
        IWritableFile OpenWrite(string path);

        /// <summary>Atomically renames <paramref name="source"/> over <paramref name="destination"/>.</summary>
        void Replace(string source, string destination);

        /// <summary>Makes a rename or create in the folder durable (fsync of the folder on Unix).</summary>
        void FlushDirectory(string directory);

        /// <summary>Deletes a file; missing files are not an error.</summary>
        void Delete(string path);

        /// <summary>File names (not paths) in a folder matching a simple pattern such as *.json.</summary>
        IReadOnlyList<string> ListFiles(string directory, string pattern);

        /// <summary>Creates the folder (owner-only on Unix) when it does not exist.</summary>
        void EnsureDirectory(string directory);

        bool DirectoryExists(string directory);

        /// <summary>
        /// The full path of the file <paramref name="path"/> really names, through symbolic links
        /// (see <see cref="SymbolicLinks"/> for what each platform follows); a path that does not exist
        /// yet comes back as it is. A link to nothing is <see cref="System.IO.FileNotFoundException"/>
        /// whose FileName is the missing target, when known.
        /// </summary>
        string ResolveLinks(string path);

        /// <summary>The permission bits (0777) of an existing file on Unix; null when missing, on Windows, or when the runtime cannot tell.</summary>
        int? GetUnixMode(string path);

        /// <summary>Sets a file's permission bits on Unix, whatever the umask (chmod); nothing on Windows.</summary>
        void SetUnixMode(string path, int mode);

        /// <summary>
        /// True when this user must not write the existing file: the read-only attribute on Windows;
        /// on Unix no write bit at all (even for root) or write permission denied. False when missing.
        /// </summary>
        bool IsReadOnly(string path);

        /// <summary>Takes the exclusive cross-process lock on a lock file (see <see cref="StateLock"/>).</summary>
        ILockHandle AcquireLock(string path, TimeSpan timeout, System.Threading.CancellationToken cancellationToken);
    }

    /// <summary>A held lock; disposing releases it.</summary>
    internal interface ILockHandle : IDisposable
    {
        /// <summary>How long the caller waited for the lock.</summary>
        TimeSpan Waited { get; }

        /// <summary>Deletes the lock file itself, still holding the lock (used when removing a batch).</summary>
        void DeleteFile();
    }

    /// <summary>A file open for writing, whose <see cref="Flush"/> reaches the disk.</summary>
    internal interface IWritableFile : IDisposable
    {
        string Path { get; }

        long Length { get; }

        void Write(byte[] buffer, int offset, int count);

        /// <summary>Reads up to <paramref name="count"/> bytes at <paramref name="position"/> (fewer at the end); returns how many.</summary>
        int ReadAt(long position, byte[] buffer, int offset, int count);

        /// <summary>Writes at <paramref name="position"/>, over what is there or past the end.</summary>
        void WriteAt(long position, byte[] buffer, int offset, int count);

        /// <summary>fsync: returns when the written bytes are on stable storage.</summary>
        void Flush();

        /// <summary>Cuts the file to <paramref name="length"/> bytes.</summary>
        void Truncate(long length);
    }
}
