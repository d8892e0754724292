using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace StateCmdlets.Bench
{
    /// <summary>What the numbers were measured on, so a result can be written down and compared.</summary>
    internal sealed class MachineInfo
    {
        private MachineInfo(IReadOnlyList<(string Name, string Value)> facts) => Facts = facts;

        internal IReadOnlyList<(string Name, string Value)> Facts { get; }

        internal static MachineInfo Describe(string folder, string? sqliteVersion)
        {
            var mount = MountOf(folder);
            var facts = new List<(string, string)>
            {
                ("nproc", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
                ("cpu", FirstValue("/proc/cpuinfo", "model name") ?? "unknown"),
                ("memory", MemoryTotal()),
                ("kernel", ReadTrimmed("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription),
                ("os", RuntimeInformation.OSDescription),
                ("runtime", RuntimeInformation.FrameworkDescription),
                ("temp folder", folder),
                ("disk", mount == null ? "unknown (no /proc/mounts)" : $"{mount.Value.Device} mounted on {mount.Value.MountPoint}, {mount.Value.FileSystem} ({mount.Value.Options}){Rotational(mount.Value.Device)}"),
            };
            if (sqliteVersion != null) facts.Add(("sqlite", sqliteVersion));
            return new MachineInfo(facts);
        }

        /// <summary>The file system type of the folder, from the longest mount point that holds it.</summary>
        internal static string FileSystemOf(string folder) => MountOf(folder)?.FileSystem ?? "unknown";

        private static (string Device, string MountPoint, string FileSystem, string Options)? MountOf(string folder)
        {
            if (!File.Exists("/proc/mounts")) return null;
            string path = Path.GetFullPath(folder).TrimEnd('/') + "/";
            (string, string, string, string)? best = null;
            int bestLength = -1;
            foreach (string line in File.ReadLines("/proc/mounts"))
            {
                var fields = line.Split(' ');
                if (fields.Length < 4) continue;
                string mountPoint = Unescape(fields[1]);
                string prefix = mountPoint.TrimEnd('/') + "/";
                // The last matching line wins at equal length: later mounts hide earlier ones.
                if (!path.StartsWith(prefix, StringComparison.Ordinal) || prefix.Length < bestLength) continue;
                best = (Unescape(fields[0]), mountPoint, fields[2], fields[3]);
                bestLength = prefix.Length;
            }
            return best;
        }

        /// <summary>/proc/mounts writes a space as \040 (and tab, newline, backslash likewise in octal).</summary>
        private static string Unescape(string field)
        {
            var text = new System.Text.StringBuilder(field.Length);
            for (int i = 0; i < field.Length; i++)
            {
                if (field[i] == '\\' && i + 3 < field.Length && field.Skip(i + 1).Take(3).All(c => c >= '0' && c <= '7'))
                {
                    text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                    i += 3;
                }
                else text.Append(field[i]);
            }
            return text.ToString();
        }

        private static string Rotational(string device)
        {
            if (!device.StartsWith("/dev/", StringComparison.Ordinal)) return string.Empty;
            string name = device.Substring("/dev/".Length);
            foreach (string candidate in new[] { name, name.TrimEnd("0123456789".ToCharArray()), name.TrimEnd("0123456789".ToCharArray()).TrimEnd('p') })
            {
                string? value = ReadTrimmed($"/sys/class/block/{candidate}/queue/rotational");
                if (value != null) return $", queue/rotational={value}";
            }
            return string.Empty;
        }

        private static string MemoryTotal()
        {
            string? kb = FirstValue("/proc/meminfo", "MemTotal");
            if (kb == null) return "unknown";
            long value = long.Parse(kb.Split(' ')[0], CultureInfo.InvariantCulture);
            return (value / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB";
        }

        private static string? FirstValue(string path, string key)
        {
            if (!File.Exists(path)) return null;
            foreach (string line in File.ReadLines(path))
            {
                int colon = line.IndexOf(':');
                if (colon > 0 && line.Substring(0, colon).Trim() == key) return line.Substring(colon + 1).Trim();
            }
            return null;
        }

        private static string? ReadTrimmed(string path)
        {
            try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }
    }
}
