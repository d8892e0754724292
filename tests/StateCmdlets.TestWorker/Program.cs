using System;
using System.Threading;
using StateCmdlets.Core.Batches;
using StateCmdlets.Core.Batches.FileStore;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.TestWorker
{
    /// <summary>
    /// A separate process for the core's cross-process tests. Prints one line per event and flushes,
    /// so the test knows what was acknowledged before it kills this process.
    ///   record &lt;stateDir&gt; &lt;batchId&gt; &lt;feature&gt;...   records Completed for each, printing "ack &lt;feature&gt;"
    ///   record-compacting ...                          the same, folding the journal into the snapshot as often as it can
    ///   hammer &lt;stateDir&gt; &lt;batchId&gt; &lt;seed&gt; &lt;marker&gt; &lt;feature&gt;...
    ///       records results for the features round and round, as fast as it can, compacting often,
    ///       printing "ack &lt;feature&gt; &lt;status&gt;" after each; marks the lock holder in &lt;marker&gt;
    ///   hold &lt;lockPath&gt; &lt;milliseconds&gt;               takes the lock, prints "locked &lt;pid&gt;", sleeps
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            Console.Out.Flush();
            switch (args.Length > 0 ? args[0] : string.Empty)
            {
                case "record":
                case "record-compacting":
                    var store = new FileBatchStore(args[1], new FileStoreOptions
                    {
                        LockTimeout = TimeSpan.FromMinutes(2),
                        FoldMinimumBytes = args[0] == "record-compacting" ? 0 : 64 * 1024,
                    });
                    for (int i = 3; i < args.Length; i++)
                    {
                        store.Record(args[2], new FeatureResult(args[i], FeatureStatus.Completed), CancellationToken.None);
                        Console.WriteLine("ack " + args[i]);
                        Console.Out.Flush();
                    }
                    return 0;
                case "hammer":
                    Hammer(args[1], args[2], int.Parse(args[3]), args[4], args[5..]);
                    return 0;
                case "hold":
                    using (StateLock.Acquire(args[1], TimeSpan.FromMinutes(1), CancellationToken.None))
                    {
                        Console.WriteLine("locked " + Environment.ProcessId);
                        Console.Out.Flush();
                        Thread.Sleep(int.Parse(args[2]));
                    }
                    return 0;
                default:
                    Console.Error.WriteLine("usage: record <dir> <batchId> <feature>... | hammer <dir> <batchId> <seed> <marker> <feature>... | hold <lockPath> <ms>");
                    return 2;
            }
        }

        private static void Hammer(string directory, string batchId, int seed, string marker, string[] features)
        {
            var store = new FileBatchStore(directory, new FileStoreOptions
            {
                LockTimeout = TimeSpan.FromMinutes(2),
                FileSystem = new LockMarkerFileSystem(marker),
                FoldMinimumBytes = 2048, // compact every few dozen records, so kills land in compactions too
            });
            var random = new Random(seed);
            var statuses = new[] { FeatureStatus.Completed, FeatureStatus.Failed, FeatureStatus.Skipped };
            for (long i = 0; ; i++)
            {
                string feature = features[i % features.Length];
                var status = statuses[random.Next(statuses.Length)];
                store.Record(batchId, new FeatureResult(feature, status, status == FeatureStatus.Completed ? null : "attempt " + i), CancellationToken.None);
                Console.WriteLine("ack " + feature + " " + status);
                Console.Out.Flush();
            }
        }
    }
}
