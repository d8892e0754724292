using System;
using System.IO;
using System.Runtime.InteropServices;

namespace StateCmdlets.Core.Storage
{
    /// <summary>Where batches live when the caller names no folder.</summary>
    internal static class StateDirectory
    {
        public const string EnvironmentVariable = "STATECMDLETS_HOME";

        /// <summary>
        /// $env:STATECMDLETS_HOME, else the per-user state folder ($XDG_STATE_HOME or
        /// ~/.local/state on Unix, %LOCALAPPDATA% on Windows) + StateCmdlets.
        /// </summary>
        public static string Default(Func<string, string?> getEnvironment)
        {
            string? explicitHome = getEnvironment(EnvironmentVariable);
            if (!string.IsNullOrEmpty(explicitHome)) return explicitHome!;

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                string? local = getEnvironment("LOCALAPPDATA");
                if (string.IsNullOrEmpty(local)) local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
                return Path.Combine(local!, "StateCmdlets");
            }

            // XDG: a relative XDG_STATE_HOME is invalid and must be ignored.
            string? xdg = getEnvironment("XDG_STATE_HOME");
            if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg!, "StateCmdlets");
            string? home = getEnvironment("HOME");
            if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home!, ".local", "state", "StateCmdlets");
        }

        public static string Default() => Default(Environment.GetEnvironmentVariable);
    }
}
