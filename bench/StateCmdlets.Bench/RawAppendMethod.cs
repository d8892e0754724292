using System;
using System.IO;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The ceiling for any durable per-update write on this disk: a 100-byte record appended to one
    /// file opened once, fsynced after each. Through the core's own file layer, so it makes exactly
    /// the syscalls (write, fsync) a journal append makes, and nothing else.
    /// </summary>
    internal sealed class RawAppendMethod : IUpdateMethod
    {
        private const int RecordLength = 100;

        private readonly string _path;
        private readonly byte[] _record = new byte[RecordLength];
        private IWritableFile? _file;

        internal RawAppendMethod(string folder, int batchSize, int updates)
        {
            _path = Path.Combine(folder, "raw-" + batchSize + ".log");
            BatchSize = batchSize;
            Updates = updates;
            for (int i = 0; i < RecordLength - 1; i++) _record[i] = (byte)'a';
            _record[RecordLength - 1] = (byte)'\n';
        }

        public string Name => Methods.Raw;

        public int BatchSize { get; }

        public int Updates { get; }

        public void Prepare() => _file = PhysicalFileSystem.Instance.OpenAppend(_path);

        public bool Update(int index)
        {
            _file!.Write(_record, 0, RecordLength);
            _file.Flush();
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
