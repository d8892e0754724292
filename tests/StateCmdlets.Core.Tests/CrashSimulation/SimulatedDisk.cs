using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using StateCmdlets.Core.Storage;

namespace StateCmdlets.Core.Tests.CrashSimulation
{
    /// <summary>
    /// An in-memory disk for one folder that knows what a crash could leave behind: file data not
    /// yet fsynced may be lost, kept, or (for a file never fsynced) empty or garbage of the right
    /// length; creates, renames and deletes not yet followed by a folder fsync may or may not have
    /// happened. Locks are no-ops: one thread drives it. It has no links, and keeps each file's mode
    /// (0600 when created) without modelling what a crash does to it.
    /// </summary>
    internal sealed class SimulatedDisk : IFileSystem
    {
        public const string Folder = "/sim/state";

        private Dictionary<string, Node> _names = new Dictionary<string, Node>(StringComparer.Ordinal);
        private Dictionary<string, Node> _durableNames = new Dictionary<string, Node>(StringComparer.Ordinal);
        private readonly List<DirectoryChange> _pending = new List<DirectoryChange>();
        private string _lastDirectoryChange = "none";
        private int _nextNode;

        public SimulatedDisk()
        {
        }

        /// <summary>A disk holding exactly <paramref name="image"/>, all of it durable (what a reboot finds).</summary>
        public SimulatedDisk(DiskImage image)
        {
            foreach (var file in image.Files)
            {
                var node = NewNode();
                node.Data = file.Value;
                node.Durable = file.Value;
                node.Synced = true;
                _names[file.Key] = node;
            }
            _durableNames = new Dictionary<string, Node>(_names, StringComparer.Ordinal);
        }

        /// <summary>Called before every operation that changes the disk, to look at the crash states of that moment.</summary>
        public Action? BeforeChange { get; set; }

        /// <summary>An fsync site to skip (see <see cref="FsyncSites"/>): the call returns, nothing becomes durable.</summary>
        public string? DroppedFsync { get; set; }

        /// <summary>Every fsync site seen, by name, with how often it ran.</summary>
        public Dictionary<string, int> FsyncSites { get; } = new Dictionary<string, int>();

        public static string PathOf(string name) => Folder + "/" + name;

        /// <summary>Every distinct disk a crash right now could leave.</summary>
        public List<DiskImage> CrashImages()
        {
            var images = new Dictionary<string, DiskImage>(StringComparer.Ordinal);
            foreach (var names in DirectoryOutcomes())
            {
                var files = names.OrderBy(n => n.Key, StringComparer.Ordinal).ToList();
                var choices = files.Select(f => ContentOutcomes(f.Value)).ToList();
                foreach (var combination in Product(choices))
                {
                    var image = new DiskImage();
                    for (int i = 0; i < files.Count; i++) image.Files[files[i].Key] = combination[i];
                    images[image.Key()] = image;
                }
            }
            return images.Values.ToList();
        }

        /// <summary>The disk as it is now, as if everything had been fsynced.</summary>
        public DiskImage Current()
        {
            var image = new DiskImage();
            foreach (var pair in _names) image.Files[pair.Key] = pair.Value.Data.ToArray();
            return image;
        }

        // ---- IFileSystem ----

        public bool FileExists(string path) => _names.ContainsKey(NameOf(path));

        public bool DirectoryExists(string directory) => true;

        public byte[] ReadAllBytes(string path) => Find(path).Data.ToArray();

        public byte[] ReadRange(string path, long offset, int count)
        {
            var data = Find(path).Data;
            if (offset >= data.Length) return Array.Empty<byte>();
            return data.Skip((int)offset).Take(count).ToArray();
        }

        public long FileLength(string path) => Find(path).Data.Length;

        public FileStamp? Stamp(string path) =>
            _names.TryGetValue(NameOf(path), out var node) ? new FileStamp(node.Data.Length, node.Id * 1000000L + node.Writes) : (FileStamp?)null;

        public IWritableFile CreateNew(string path)
        {
            string name = NameOf(path);
            if (_names.ContainsKey(name)) throw new IOException($"'{path}' exists.");
            BeforeChange?.Invoke();
            var node = NewNode();
            Link(name, node, "create " + name);
            return new Handle(this, path, node);
        }

        public IWritableFile OpenAppend(string path)
        {
            string name = NameOf(path);
            if (_names.TryGetValue(name, out var node)) return new Handle(this, path, node);
            BeforeChange?.Invoke();
            node = NewNode();
            Link(name, node, "create " + name);
            return new Handle(this, path, node);
        }

        public IWritableFile OpenWrite(string path) => new Handle(this, path, Find(path));

        public void Replace(string source, string destination)
        {
            string from = NameOf(source), to = NameOf(destination);
            var node = Find(source);
            BeforeChange?.Invoke();
            _names.Remove(from);
            _names[to] = node;
            _pending.Add(new DirectoryChange(from, to, node));
            _lastDirectoryChange = "rename to " + Kind(to);
        }

        public void FlushDirectory(string directory)
        {
            BeforeChange?.Invoke();
            if (Skip("folder fsync after " + _lastDirectoryChange)) return;
            _durableNames = new Dictionary<string, Node>(_names, StringComparer.Ordinal);
            _pending.Clear();
        }

        public void Delete(string path)
        {
            string name = NameOf(path);
            if (!_names.TryGetValue(name, out var node)) return;
            BeforeChange?.Invoke();
            _names.Remove(name);
            _pending.Add(new DirectoryChange(name, null, node));
            _lastDirectoryChange = "delete";
        }

        public IReadOnlyList<string> ListFiles(string directory, string pattern)
        {
            string suffix = pattern.StartsWith("*", StringComparison.Ordinal) ? pattern.Substring(1) : pattern;
            return _names.Keys.Where(n => pattern == "*" || n.EndsWith(suffix, StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal).ToList();
        }

        public void EnsureDirectory(string directory)
        {
        }

        public ILockHandle AcquireLock(string path, TimeSpan timeout, CancellationToken cancellationToken) => new NoLock();

        public string ResolveLinks(string path) => path;

        public int? GetUnixMode(string path) => _names.TryGetValue(NameOf(path), out var node) ? node.Mode : (int?)null;

        public void SetUnixMode(string path, int mode)
        {
            var node = Find(path);
            BeforeChange?.Invoke();
            node.Mode = mode;
        }

        public bool IsReadOnly(string path) => _names.TryGetValue(NameOf(path), out var node) && (node.Mode & 0x92) == 0;

        // ---- the model ----

        private Node Find(string path) =>
            _names.TryGetValue(NameOf(path), out var node) ? node : throw new FileNotFoundException($"'{path}' does not exist.", path);

        private static string NameOf(string path)
        {
            string? folder = Path.GetDirectoryName(path)?.Replace('\\', '/');
            if (folder != Folder) throw new InvalidOperationException($"The simulated disk holds only {Folder}, not '{path}'.");
            return Path.GetFileName(path);
        }

        private Node NewNode() => new Node(_nextNode++);

        private void Link(string name, Node node, string change)
        {
            _names[name] = node;
            _pending.Add(new DirectoryChange(null, name, node));
            _lastDirectoryChange = change.StartsWith("create", StringComparison.Ordinal) ? "create " + Kind(name) : change;
        }

        private bool Skip(string site)
        {
            FsyncSites[site] = FsyncSites.TryGetValue(site, out int n) ? n + 1 : 1;
            return site == DroppedFsync;
        }

        /// <summary>What a name stands for, so fsync sites group across batch ids and random temp names.</summary>
        internal static string Kind(string name)
        {
            if (name.Contains(".corrupt-")) return name.StartsWith(".", StringComparison.Ordinal) ? "temp of corrupt copy" : "corrupt copy";
            if (name.StartsWith(".", StringComparison.Ordinal) && name.EndsWith(".tmp", StringComparison.Ordinal))
                return "temp of " + Kind(name.Substring(1, name.LastIndexOf('.', name.Length - 5) - 1));
            if (name.EndsWith(".bak", StringComparison.Ordinal)) return "backup";
            if (name.EndsWith(".journal", StringComparison.Ordinal)) return "journal";
            if (name.EndsWith(".json", StringComparison.Ordinal)) return "snapshot";
            return name;
        }

        /// <summary>Every subset of the folder changes not yet fsynced, applied in order to the durable folder.</summary>
        private IEnumerable<Dictionary<string, Node>> DirectoryOutcomes()
        {
            int count = _pending.Count;
            if (count > 10) throw new InvalidOperationException($"{count} folder changes pending: the simulation would explode.");
            for (int mask = 0; mask < 1 << count; mask++)
            {
                var names = new Dictionary<string, Node>(_durableNames, StringComparer.Ordinal);
                for (int i = 0; i < count; i++)
                {
                    if ((mask & (1 << i)) == 0) continue;
                    var change = _pending[i];
                    if (change.From != null && names.TryGetValue(change.From, out var n) && ReferenceEquals(n, change.Node)) names.Remove(change.From);
                    if (change.To != null) names[change.To] = change.Node;
                }
                yield return names;
            }
        }

        /// <summary>What a crash leaves of one file's bytes.</summary>
        private static List<byte[]> ContentOutcomes(Node node)
        {
            var outcomes = new List<byte[]>();
            if (!node.Synced)
            {
                outcomes.Add(Array.Empty<byte>());
                if (node.Data.Length > 0)
                {
                    outcomes.Add(node.Data);
                    outcomes.Add(new byte[node.Data.Length]); // zeros, as ext4 shows unwritten extents
                    outcomes.Add(Garbage(node.Data.Length, node.Id));
                }
                return outcomes;
            }
            outcomes.Add(node.Durable);
            if (node.Data.SequenceEqual(node.Durable)) return outcomes;
            outcomes.Add(node.Data);
            // The bytes written since the last fsync: [from, Data.Length). Of them, a crash may keep
            // only a first part (a torn write), only a last part (pages reach the disk in any order),
            // or the space without the bytes (zeros or garbage).
            int from = 0;
            while (from < node.Durable.Length && from < node.Data.Length && node.Durable[from] == node.Data[from]) from++;
            int length = node.Data.Length - from;
            if (length > 0)
            {
                var old = new byte[node.Data.Length];
                Buffer.BlockCopy(node.Durable, 0, old, 0, Math.Min(node.Durable.Length, old.Length));
                var torn = old.ToArray();
                Buffer.BlockCopy(node.Data, from, torn, from, length / 2);
                outcomes.Add(torn);
                var late = old.ToArray();
                Buffer.BlockCopy(node.Data, from + length / 2, late, from + length / 2, length - length / 2);
                outcomes.Add(late);
                var zeros = old.ToArray();
                Array.Clear(zeros, from, length);
                outcomes.Add(zeros);
                var garbage = old.ToArray();
                Buffer.BlockCopy(Garbage(length, node.Id), 0, garbage, from, length);
                outcomes.Add(garbage);
            }
            return outcomes;
        }

        private static byte[] Garbage(int length, int seed)
        {
            var bytes = new byte[length];
            new Random(seed * 7919 + length).NextBytes(bytes);
            return bytes;
        }

        private static IEnumerable<byte[][]> Product(List<List<byte[]>> choices)
        {
            var current = new byte[choices.Count][];
            return Walk(0);

            IEnumerable<byte[][]> Walk(int i)
            {
                if (i == choices.Count)
                {
                    yield return (byte[][])current.Clone();
                    yield break;
                }
                foreach (var choice in choices[i])
                {
                    current[i] = choice;
                    foreach (var result in Walk(i + 1)) yield return result;
                }
            }
        }

        private sealed class Node
        {
            internal Node(int id) => Id = id;

            internal int Id { get; }

            private byte[] _data = Array.Empty<byte>();

            internal byte[] Data
            {
                get => _data;
                set
                {
                    _data = value;
                    Writes++;
                }
            }

            /// <summary>Counts every change of the content: the simulated last write time.</summary>
            internal long Writes { get; private set; }

            internal byte[] Durable { get; set; } = Array.Empty<byte>();

            internal bool Synced { get; set; }

            internal int Mode { get; set; } = 0x180; // 0600, as the real disk creates files
        }

        private sealed class DirectoryChange
        {
            internal DirectoryChange(string? from, string? to, Node node)
            {
                From = from;
                To = to;
                Node = node;
            }

            internal string? From { get; }

            internal string? To { get; }

            internal Node Node { get; }
        }

        private sealed class Handle : IWritableFile
        {
            private readonly SimulatedDisk _disk;
            private readonly Node _node;

            internal Handle(SimulatedDisk disk, string path, Node node)
            {
                _disk = disk;
                Path = path;
                _node = node;
            }

            public string Path { get; }

            public long Length => _node.Data.Length;

            public void Write(byte[] buffer, int offset, int count)
            {
                _disk.BeforeChange?.Invoke();
                _node.Data = _node.Data.Concat(buffer.Skip(offset).Take(count)).ToArray();
            }

            public int ReadAt(long position, byte[] buffer, int offset, int count)
            {
                var data = _node.Data;
                if (position >= data.Length) return 0;
                int n = (int)Math.Min(count, data.Length - position);
                Buffer.BlockCopy(data, (int)position, buffer, offset, n);
                return n;
            }

            public void WriteAt(long position, byte[] buffer, int offset, int count)
            {
                _disk.BeforeChange?.Invoke();
                long end = position + count;
                var data = _node.Data;
                if (end > data.Length) Array.Resize(ref data, (int)end);
                else data = data.ToArray();
                Buffer.BlockCopy(buffer, offset, data, (int)position, count);
                _node.Data = data;
            }

            public void Flush()
            {
                _disk.BeforeChange?.Invoke();
                string name = System.IO.Path.GetFileName(Path);
                string site = name.EndsWith(".tmp", StringComparison.Ordinal) ? "fsync of " + Kind(name) : "fsync of " + Kind(name) + " append";
                if (_disk.Skip(site)) return;
                _node.Durable = _node.Data.ToArray();
                _node.Synced = true;
            }

            public void Truncate(long length)
            {
                _disk.BeforeChange?.Invoke();
                _node.Data = _node.Data.Take((int)length).ToArray();
            }

            public void Dispose()
            {
            }
        }

        private sealed class NoLock : ILockHandle
        {
            public TimeSpan Waited => TimeSpan.Zero;

            public void DeleteFile()
            {
            }

            public void Dispose()
            {
            }
        }
    }

    /// <summary>The files of the folder after a crash: name to bytes.</summary>
    internal sealed class DiskImage
    {
        public SortedDictionary<string, byte[]> Files { get; } = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);

        public string Key() => string.Join("|", Files.Select(f => f.Key + ":" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(f.Value))));

        public override string ToString() => string.Join(", ", Files.Select(f => $"{f.Key} ({f.Value.Length} bytes)"));
    }
}
