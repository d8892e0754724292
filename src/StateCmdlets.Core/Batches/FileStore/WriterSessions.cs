using System.Collections.Generic;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Versioning;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>
    /// Process-wide cache of writer sessions, so a script that records results one cmdlet call at a
    /// time pays for loading the batch once, not per call. A session is only used under the batch's
    /// lock, after checking the files on disk still match it.
    /// </summary>
    internal static class WriterSessions
    {
        private const int Capacity = 32;
        private static readonly Dictionary<BatchFileKey, Entry> Entries = new Dictionary<BatchFileKey, Entry>();
        private static long _clock;

        internal static BatchSession? Take(IFileSystem fs, SchemaMigrator migrator, string snapshotPath)
        {
            lock (Entries)
            {
                if (!Entries.TryGetValue(new BatchFileKey(fs, migrator, snapshotPath), out var entry)) return null;
                entry.LastUsed = ++_clock;
                return entry.Session;
            }
        }

        internal static void Keep(IFileSystem fs, SchemaMigrator migrator, string snapshotPath, BatchSession session)
        {
            lock (Entries)
            {
                Entries[new BatchFileKey(fs, migrator, snapshotPath)] = new Entry(session) { LastUsed = ++_clock };
                if (Entries.Count <= Capacity) return;
                BatchFileKey? oldest = null;
                long oldestUse = long.MaxValue;
                foreach (var pair in Entries)
                {
                    if (pair.Value.LastUsed >= oldestUse) continue;
                    oldest = pair.Key;
                    oldestUse = pair.Value.LastUsed;
                }
                if (oldest.HasValue) Entries.Remove(oldest.Value);
            }
        }

        internal static void Forget(IFileSystem fs, SchemaMigrator migrator, string snapshotPath)
        {
            lock (Entries) Entries.Remove(new BatchFileKey(fs, migrator, snapshotPath));
        }

        private sealed class Entry
        {
            internal Entry(BatchSession session) => Session = session;

            internal BatchSession Session { get; }

            internal long LastUsed { get; set; }
        }
    }
}
