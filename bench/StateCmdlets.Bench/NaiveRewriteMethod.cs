using System;
using System.IO;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The baseline we replace: per update, the whole batch serialized again and written atomically
    /// (temp file, write, fsync, rename, folder fsync) with the core's own AtomicFile, so the
    /// difference from ours is the file format alone, not the file layer.
    /// </summary>
    internal sealed class NaiveRewriteMethod : IUpdateMethod
    {
        private readonly string _path;
        private NaiveBatchDocument? _document;

        internal NaiveRewriteMethod(string folder, int batchSize, int updates)
        {
            _path = Path.Combine(folder, "naive-" + batchSize + ".json");
            BatchSize = batchSize;
            Updates = updates;
        }

        public string Name => Methods.Naive;

        public int BatchSize { get; }

        public int Updates { get; }

        public void Prepare()
        {
            _document = new NaiveBatchDocument("bench", FeatureNames.For(BatchSize));
            AtomicFile.Write(PhysicalFileSystem.Instance, _path, _document.Serialize());
        }

        public bool Update(int index)
        {
            _document!.Complete(index, DateTime.UtcNow);
            AtomicFile.Write(PhysicalFileSystem.Instance, _path, _document.Serialize());
            return false;
        }

        public void VerifyAndClean()
        {
            // The last update's feature must be in the file: the rewrite really happened.
            string text = File.ReadAllText(_path);
            if (!text.Contains("\"Completed\"", StringComparison.Ordinal)) throw new InvalidOperationException($"'{_path}' has no completed feature.");
            File.Delete(_path);
        }

        public void Dispose() { }
    }
}
