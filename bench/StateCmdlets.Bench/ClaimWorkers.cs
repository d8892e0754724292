using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;

namespace StateCmdlets.Bench
{
    /// <summary>
    /// The harness's side of the <see cref="ClaimWorkerChild"/> processes: started once (process
    /// start, JIT and the first connection stay out of every timed run) and handed one job per run.
    /// A run is <see cref="Prepare"/> (the first N children open the store and say they are ready),
    /// then <see cref="Go"/> (released together; timed from the first one's start to the last one's
    /// end), so the caller can read the server's counters in between.
    /// </summary>
    internal sealed class ClaimWorkers : IDisposable
    {
        private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

        private readonly List<Child> _children = new List<Child>();
        private int _prepared;

        internal ClaimWorkers(int count)
        {
            try
            {
                for (int i = 0; i < count; i++) _children.Add(new Child(i));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        internal int Count => _children.Count;

        /// <summary>Gives the first <paramref name="workers"/> children the job and waits until each has opened the store.</summary>
        internal void Prepare(int workers, ClaimJob job)
        {
            if (workers < 1 || workers > _children.Count) throw new ArgumentOutOfRangeException(nameof(workers));
            string line = JsonSerializer.Serialize(job);
            for (int w = 0; w < workers; w++) _children[w].Send(line);
            for (int w = 0; w < workers; w++) _children[w].Expect(ClaimWorkerChild.Ready);
            _prepared = workers;
        }

        /// <summary>Releases the prepared children and waits for every one's account of its work.</summary>
        internal ClaimRun Go()
        {
            var ready = _children.Take(_prepared).ToList();
            _prepared = 0;
            foreach (var child in ready) child.Send(ClaimWorkerChild.Go);
            var work = ready.Select(child => JsonSerializer.Deserialize<ClaimWork>(child.Receive())!).ToList();
            return new ClaimRun(work);
        }

        public void Dispose()
        {
            foreach (var child in _children) child.Dispose();
            _children.Clear();
        }

        /// <summary>One claim-child process: its pipes, and what it said on stderr (for the error when it fails).</summary>
        private sealed class Child : IDisposable
        {
            private readonly Process _process;
            private readonly StringBuilder _errors = new StringBuilder();
            private readonly int _number;

            internal Child(int number)
            {
                _number = number;
                string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this process is unknown.");
                var start = new ProcessStartInfo(host)
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                // Under `dotnet StateCmdlets.Bench.dll` the process is dotnet itself: pass it the assembly.
                if (System.IO.Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
                    start.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
                start.ArgumentList.Add(ClaimWorkerChild.Verb);
                _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{host}'.");
                _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_errors) _errors.AppendLine(e.Data); };
                _process.BeginErrorReadLine();
            }

            internal void Send(string line)
            {
                _process.StandardInput.WriteLine(line);
                _process.StandardInput.Flush();
            }

            internal void Expect(string expected)
            {
                string line = Receive();
                if (line != expected) throw Failed($"said '{line}' instead of '{expected}'");
            }

            internal string Receive()
            {
                Task<string?> line = _process.StandardOutput.ReadLineAsync();
                if (!line.Wait(Patience)) throw Failed($"said nothing for {Patience.TotalMinutes:0} min");
                return line.Result ?? throw Failed($"exited ({(_process.WaitForExit(5000) ? _process.ExitCode.ToString() : "still running")})");
            }

            private InvalidOperationException Failed(string what)
            {
                string errors;
                lock (_errors) errors = _errors.ToString();
                return new InvalidOperationException($"{ClaimWorkerChild.Verb} {_number} {what}:\n{errors}");
            }

            public void Dispose()
            {
                try
                {
                    _process.StandardInput.Close();
                    if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException) { }
                catch (System.IO.IOException) { }
                _process.Dispose();
            }
        }
    }

    /// <summary>What the workers of one run did together.</summary>
    internal sealed class ClaimRun
    {
        internal ClaimRun(IReadOnlyList<ClaimWork> work)
        {
            Workers = work.Count;
            Elapsed = TimeSpan.FromSeconds((double)(work.Max(w => w.End) - work.Min(w => w.Start)) / Stopwatch.Frequency);
            Cpu = TimeSpan.FromMilliseconds(work.Sum(w => w.CpuMilliseconds));
            Claims = work.Sum(w => w.Claims);
            Claimed = work.Sum(w => w.Claimed);
            Recorded = work.Sum(w => w.Recorded);
            ClaimMilliseconds = work.Sum(w => w.ClaimMilliseconds);
            RecordMilliseconds = work.Sum(w => w.RecordMilliseconds);
            Fsyncs = work.All(w => w.Fsyncs.HasValue) ? work.Sum(w => w.Fsyncs!.Value) : null;
        }

        internal int Workers { get; }

        internal TimeSpan Elapsed { get; }

        /// <summary>The workers' CPU time (user + system), summed.</summary>
        internal TimeSpan Cpu { get; }

        internal int Claims { get; }

        internal int Claimed { get; }

        internal int Recorded { get; }

        internal double ClaimMilliseconds { get; }

        internal double RecordMilliseconds { get; }

        internal long? Fsyncs { get; }
    }
}
