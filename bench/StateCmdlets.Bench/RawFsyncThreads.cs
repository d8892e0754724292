using System;
using System.IO;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The disk's limit for writers that each append and fsync their own record: a 100-byte record
    /// appended to one file and fsynced, in a loop, by each writer through its own descriptor
    /// (O_APPEND, the core's file layer). With one writer it is the raw row of the main table; with
    /// several, concurrent fsyncs of one file may share a journal commit in the kernel, which is
    /// the most a design without group commit in the program could get.
    /// </summary>
    internal sealed class RawFsyncThreads : IConcurrentMethod
    {
        private const int RecordLength = 100;

        private readonly string _path;
        private readonly byte[] _record = new byte[RecordLength];
        private readonly IWritableFile?[] _files;

        internal RawFsyncThreads(string folder, int writers, int results, int round)
        {
            _path = Path.Combine(folder, $"raw-threads-{writers}-{round}.log");
            Writers = writers;
            Results = results;
            _files = new IWritableFile?[writers];
            for (int i = 0; i < RecordLength - 1; i++) _record[i] = (byte)'a';
            _record[RecordLength - 1] = (byte)'\n';
        }

        public string Name => Writers == 1 ? ConcurrencyMethods.Raw : ConcurrencyMethods.RawThreads;

        public int Writers { get; }

        public int Results { get; }

        public long? Fsyncs => Results;

        public void Prepare()
        {
            for (int w = 0; w < Writers; w++) _files[w] = PhysicalFileSystem.Instance.OpenAppend(_path);
        }

        public void Write(int writer)
        {
            var file = _files[writer]!;
            for (int i = writer; i < Results; i += Writers)
            {
                file.Write(_record, 0, RecordLength);
                file.Flush();
            }
        }

        public void VerifyAndClean()
        {
            Dispose();
            long length = new FileInfo(_path).Length;
            if (length != (long)Results * RecordLength) throw new InvalidOperationException($"'{_path}' holds {length} bytes, not {(long)Results * RecordLength}.");
            File.Delete(_path);
        }

        public void Dispose()
        {
            for (int w = 0; w < _files.Length; w++)
            {
                _files[w]?.Dispose();
                _files[w] = null;
            }
        }
    }
}
