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
        private static readonly Dictionary<Key, Entry> Entries = new Dictionary<Key, Entry>();
        private static long _clock;

        internal static BatchSession? Take(IFileSystem fs, SchemaMigrator migrator, string snapshotPath)
        {
            lock (Entries)
            {
                if (!Entries.TryGetValue(new Key(fs, migrator, snapshotPath), out var entry)) return null;
                entry.LastUsed = ++_clock;
                return entry.Session;
            }
        }

        internal static void Keep(IFileSystem fs, SchemaMigrator migrator, string snapshotPath, BatchSession session)
        {
            lock (Entries)
            {
                Entries[new Key(fs, migrator, snapshotPath)] = new Entry(session) { LastUsed = ++_clock };
                if (Entries.Count <= Capacity) return;
                Key? oldest = null;
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
            lock (Entries) Entries.Remove(new Key(fs, migrator, snapshotPath));
        }

        private readonly struct Key : System.IEquatable<Key>
        {
            private readonly IFileSystem _fs;
            private readonly SchemaMigrator _migrator;
            private readonly string _path;

            internal Key(IFileSystem fs, SchemaMigrator migrator, string path)
            {
                _fs = fs;
                _migrator = migrator;
                _path = path;
            }

            public bool Equals(Key other) => ReferenceEquals(_fs, other._fs) && ReferenceEquals(_migrator, other._migrator) && _path == other._path;

            public override bool Equals(object? obj) => obj is Key other && Equals(other);

            public override int GetHashCode() => _path.GetHashCode();
        }

        private sealed class Entry
        {
            internal Entry(BatchSession session) => Session = session;

            internal BatchSession Session { get; }

            internal long LastUsed { get; set; }
        }
    }
}
