using System;
using System.IO;

namespace StateCmdlets.Bench
{
    /// <summary>The command line: where pwsh and the staged module are, and how big a run.</summary>
    internal sealed class BenchOptions
    {
        internal const string Usage =
            "usage: StateCmdlets.Bench --module <staged StateCmdlets.psd1> --pwsh <pwsh path> [--quick] [--invoke-batch] [--dir <parent folder>] [--output <report.md>]\n" +
            "  --quick   small batches and few updates: a sanity run of every method in seconds\n" +
            "  --invoke-batch  only the Invoke-Batch rows (about a minute)\n" +
            "  --dir     where the fresh temp folder goes (default: the system temp folder)\n" +
            "  --output  also write the Markdown report to this file";

        private BenchOptions(string moduleManifest, string pwsh, bool quick, string parentFolder, string? output, bool invokeBatchOnly)
        {
            InvokeBatchOnly = invokeBatchOnly;
            ModuleManifest = moduleManifest;
            Pwsh = pwsh;
            Quick = quick;
            ParentFolder = parentFolder;
            Output = output;
        }

        internal string ModuleManifest { get; }

        internal string Pwsh { get; }

        internal bool Quick { get; }

        /// <summary>Only the Invoke-Batch benchmark.</summary>
        internal bool InvokeBatchOnly { get; }

        internal string ParentFolder { get; }

        internal string? Output { get; }

        /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with what is wrong.</summary>
        internal static BenchOptions Parse(string[] args)
        {
            string? module = null, pwsh = null, parent = null, output = null;
            bool quick = false, invokeBatchOnly = false;
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--module": module = Value(args, ref i); break;
                    case "--pwsh": pwsh = Value(args, ref i); break;
                    case "--dir": parent = Value(args, ref i); break;
                    case "--output": output = Value(args, ref i); break;
                    case "--quick": quick = true; break;
                    case "--invoke-batch": invokeBatchOnly = true; break;
                    default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
                }
            }
            if (module == null) throw new ArgumentException("--module is required.");
            if (pwsh == null) throw new ArgumentException("--pwsh is required.");
            if (!File.Exists(module)) throw new ArgumentException($"The module manifest '{module}' does not exist (run build.ps1 Build first).");
            if (!File.Exists(pwsh)) throw new ArgumentException($"pwsh '{pwsh}' does not exist.");
            parent ??= Path.GetTempPath();
            if (!Directory.Exists(parent)) throw new ArgumentException($"The folder '{parent}' does not exist.");
            return new BenchOptions(Path.GetFullPath(module), Path.GetFullPath(pwsh), quick, Path.GetFullPath(parent), output == null ? null : Path.GetFullPath(output), invokeBatchOnly);
        }

        private static string Value(string[] args, ref int i)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"{args[i]} needs a value.");
            return args[++i];
        }
    }
}
