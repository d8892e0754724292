using System.Collections.Generic;
using System.IO;
using StateCmdlets.Core.Storage;
using StateCmdlets.Core.Tests.Support;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    public sealed class StateDirectoryTests
    {
        private static string Resolve(Dictionary<string, string> env) => StateDirectory.Default(name => env.TryGetValue(name, out var v) ? v : null);

        [Fact]
        public void The_environment_variable_wins()
        {
            Assert.Equal("/x/y", Resolve(new Dictionary<string, string> { ["STATECMDLETS_HOME"] = "/x/y", ["XDG_STATE_HOME"] = "/xdg", ["HOME"] = "/h" }));
        }

        [Fact]
        public void On_unix_XDG_STATE_HOME_then_the_home_folder()
        {
            if (!UnixMode.Applies) return;
            Assert.Equal(Path.Combine("/xdg", "StateCmdlets"), Resolve(new Dictionary<string, string> { ["XDG_STATE_HOME"] = "/xdg", ["HOME"] = "/h" }));
            // A relative XDG_STATE_HOME is invalid by the spec and ignored.
            Assert.Equal(Path.Combine("/h", ".local", "state", "StateCmdlets"), Resolve(new Dictionary<string, string> { ["XDG_STATE_HOME"] = "rel", ["HOME"] = "/h" }));
        }
    }
}
