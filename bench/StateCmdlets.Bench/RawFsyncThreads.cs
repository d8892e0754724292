using System;
using System.IO;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The disk's limit for writers that each write and fsync their own record: a 100-byte record
    /// written to one file and fsynced, in a loop, by each writer through its own descriptor (the
    /// core's file layer). Appended (O_APPEND: the file grows, so every fsync also commits a size
    /// change) or written over a file allocated and fsynced beforehand (in place, as the journal
    /// writes its records into room it allocated ahead). With one writer it is the raw rows of the
    /// main table; with several, concurrent fsyncs of one file share work in the kernel (one
    /// writer's fsync writes back the others' pages and commits their changes too), which is the
    /// most a design without group commit in the program could get.
    /// </summary>
    internal sealed class RawFsyncThreads : IConcurrentMethod
    {
        private const int RecordLength = 100;

        private readonly string _path;
        private readonly bool _inPlace;
        private readonly byte[] _record = new byte[RecordLength];
        private readonly IWritableFile?[] _files;

        internal RawFsyncThreads(string folder, int writers, int results, int round, bool inPlace)
        {
            _path = Path.Combine(folder, $"raw-threads-{(inPlace ? "overwrite" : "append")}-{writers}-{round}.log");
            _inPlace = inPlace;
            Writers = writers;
            Results = results;
            _files = new IWritableFile?[writers];
            for (int i = 0; i < RecordLength - 1; i++) _record[i] = (byte)'a';
            _record[RecordLength - 1] = (byte)'\n';
        }

        public string Name => _inPlace
            ? Writers == 1 ? ConcurrencyMethods.RawOverwrite : ConcurrencyMethods.RawOverwriteThreads
            : Writers == 1 ? ConcurrencyMethods.Raw : ConcurrencyMethods.RawThreads;

        public int Writers { get; }

        public int Results { get; }

        public long? Fsyncs => Results;

        public void Prepare()
        {
            var fs = PhysicalFileSystem.Instance;
            if (_inPlace)
            {
                using var file = fs.CreateNew(_path);
                file.Write(new byte[(long)Results * RecordLength], 0, Results * RecordLength);
                file.Flush();
            }
            for (int w = 0; w < Writers; w++) _files[w] = _inPlace ? fs.OpenWrite(_path) : fs.OpenAppend(_path);
        }

        public void Write(int writer)
        {
            var file = _files[writer]!;
            for (int i = writer; i < Results; i += Writers)
            {
                if (_inPlace) file.WriteAt((long)i * RecordLength, _record, 0, RecordLength);
                else file.Write(_record, 0, RecordLength);
                file.Flush();
            }
        }

        public void VerifyAndClean()
        {
            Dispose();
            byte[] content = File.ReadAllBytes(_path);
            if (content.Length != Results * RecordLength) throw new InvalidOperationException($"'{_path}' holds {content.Length} bytes, not {Results * RecordLength}.");
            if (Array.IndexOf(content, (byte)0) >= 0) throw new InvalidOperationException($"'{_path}' has room no record was written to.");
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
