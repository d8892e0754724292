using System;
using System.Collections.Generic;
using System.IO;

namespace StateCmdlets.Bench
{
    /// <summary>The command line: where pwsh and the staged module are, and how big a run.</summary>
    internal sealed class BenchOptions
    {
        internal const string Usage =
            "usage: StateCmdlets.Bench --module <staged StateCmdlets.psd1> --pwsh <pwsh path> [--quick] [--concurrency] [--postgres] [--cold-start] [--invoke-batch] [--baseline <label>=<StateCmdlets.psd1>]... [--dir <parent folder>] [--output <report.md>]\n" +
            "  --quick       small batches and few updates: a sanity run of every method in seconds\n" +
            "  --concurrency only the rows with several writers on one batch (threads, runspaces, processes)\n" +
            "  --postgres    only the PostgreSQL store next to the file store (a throwaway server; skipped, saying why, when there is none)\n" +
            "  --cold-start  only the cold-start rows (fresh pwsh: bare, import + Get-BatchState, first resume of 100,000)\n" +
            "  --invoke-batch only the Invoke-Batch rows (sleeping items against the ideal; empty ones next to ForEach-Object -Parallel)\n" +
            "  --baseline    another build of the module (main's, say) whose cold-start rows run in the same rounds\n" +
            "  --dir         where the fresh temp folder goes (default: the system temp folder)\n" +
            "  --output      also write the Markdown report to this file";

        private BenchOptions(string moduleManifest, string pwsh, bool quick, bool coldStartOnly, IReadOnlyList<(string Label, string Manifest)> baselines, string parentFolder, string? output)
        {
            ModuleManifest = moduleManifest;
            Pwsh = pwsh;
            Quick = quick;
            ColdStartOnly = coldStartOnly;
            Baselines = baselines;
            ParentFolder = parentFolder;
            Output = output;
        }

        internal string ModuleManifest { get; }

        internal string Pwsh { get; }

        internal bool Quick { get; }

        internal bool ColdStartOnly { get; }

        /// <summary>Other builds of the module measured beside this one in the cold-start rounds.</summary>
        internal IReadOnlyList<(string Label, string Manifest)> Baselines { get; }

        internal string ParentFolder { get; }

        internal string? Output { get; }

        /// <summary>Run only the several-writers rows (the full run includes them).</summary>
        internal bool ConcurrencyOnly { get; private init; }

        /// <summary>Run only the Invoke-Batch rows (the full run includes them).</summary>
        internal bool InvokeBatchOnly { get; private init; }

        /// <summary>Run only the PostgreSQL rows (the full run includes them when PostgreSQL is there).</summary>
        internal bool PostgresOnly { get; private init; }

        /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with what is wrong.</summary>
        internal static BenchOptions Parse(string[] args)
        {
            string? module = null, pwsh = null, parent = null, output = null;
            bool quick = false, coldStart = false, concurrency = false, postgres = false, invokeBatch = false;
            var baselines = new List<(string, string)>();
            for (int i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--module": module = Value(args, ref i); break;
                    case "--pwsh": pwsh = Value(args, ref i); break;
                    case "--dir": parent = Value(args, ref i); break;
                    case "--output": output = Value(args, ref i); break;
                    case "--quick": quick = true; break;
                    case "--concurrency": concurrency = true; break;
                    case "--postgres": postgres = true; break;
                    case "--cold-start": coldStart = true; break;
                    case "--invoke-batch": invokeBatch = true; break;
                    case "--baseline": baselines.Add(Baseline(Value(args, ref i))); break;
                    default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
                }
            }
            if (module == null) throw new ArgumentException("--module is required.");
            if (pwsh == null) throw new ArgumentException("--pwsh is required.");
            if (!File.Exists(module)) throw new ArgumentException($"The module manifest '{module}' does not exist (run build.ps1 Build first).");
            if (!File.Exists(pwsh)) throw new ArgumentException($"pwsh '{pwsh}' does not exist.");
            parent ??= Path.GetTempPath();
            if (!Directory.Exists(parent)) throw new ArgumentException($"The folder '{parent}' does not exist.");
            return new BenchOptions(Path.GetFullPath(module), Path.GetFullPath(pwsh), quick, coldStart, baselines, Path.GetFullPath(parent), output == null ? null : Path.GetFullPath(output)) { ConcurrencyOnly = concurrency, PostgresOnly = postgres, InvokeBatchOnly = invokeBatch };
        }

        private static (string, string) Baseline(string value)
        {
            int equals = value.IndexOf('=');
            if (equals <= 0) throw new ArgumentException($"--baseline takes <label>=<StateCmdlets.psd1>, not '{value}'.");
            string manifest = value.Substring(equals + 1);
            if (!File.Exists(manifest)) throw new ArgumentException($"The baseline module manifest '{manifest}' does not exist.");
            return (value.Substring(0, equals), Path.GetFullPath(manifest));
        }

        private static string Value(string[] args, ref int i)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"{args[i]} needs a value.");
            return args[++i];
        }
    }
}
