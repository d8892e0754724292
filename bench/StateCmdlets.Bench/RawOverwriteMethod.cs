using System;
using System.IO;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// A diagnostic next to the raw limit: the same 100-byte records fsynced one by one, but written
    /// over a file allocated and synced beforehand, as a reused SQLite WAL is. The file never grows,
    /// so fsync has no size change to commit; the gap to appending is what a preallocated journal
    /// could win. Not used in any headline ratio.
    /// </summary>
    internal sealed class RawOverwriteMethod : IUpdateMethod
    {
        private const int RecordLength = 100;

        private readonly string _path;
        private readonly byte[] _record = new byte[RecordLength];
        private FileStream? _file;

        internal RawOverwriteMethod(string folder, int batchSize, int updates)
        {
            _path = Path.Combine(folder, "overwrite-" + batchSize + ".log");
            BatchSize = batchSize;
            Updates = updates;
            for (int i = 0; i < RecordLength - 1; i++) _record[i] = (byte)'b';
            _record[RecordLength - 1] = (byte)'\n';
        }

        public string Name => Methods.RawOverwrite;

        public int BatchSize { get; }

        public int Updates { get; }

        public void Prepare()
        {
            // bufferSize 0: every Write is one write syscall, as in the append loop.
            _file = new FileStream(_path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 0);
            var zeros = new byte[64 * 1024];
            long length = (long)Updates * RecordLength;
            for (long written = 0; written < length; written += zeros.Length) _file.Write(zeros, 0, (int)Math.Min(zeros.Length, length - written));
            _file.Flush(flushToDisk: true);
        }

        public bool Update(int index)
        {
            _file!.Position = (long)index * RecordLength;
            _file.Write(_record, 0, RecordLength);
            _file.Flush(flushToDisk: true);
            return false;
        }

        public void VerifyAndClean()
        {
            long length = _file!.Length;
            Dispose();
            if (length != (long)Updates * RecordLength) throw new InvalidOperationException($"'{_path}' holds {length} bytes, not {(long)Updates * RecordLength}.");
            File.Delete(_path);
        }

        public void Dispose()
        {
            _file?.Dispose();
            _file = null;
        }
    }
}
