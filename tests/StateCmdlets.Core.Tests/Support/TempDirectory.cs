using System;
using System.IO;

namespace StateCmdlets.Core.Tests.Support
{
    /// <summary>A fresh folder per test, deleted afterwards; tests never touch the user's state folder.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Root = Path.Combine(Path.GetTempPath(), "statecmdlets-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Root);
            State = Path.Combine(Root, "state");
        }

        /// <summary>The test's own folder; <see cref="State"/> lives inside it and may not exist yet.</summary>
        public string Root { get; }

        public string State { get; }

        public string File(string name) => Path.Combine(State, name);

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { }
        }
    }
}
