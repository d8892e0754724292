using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;

namespace StateCmdlets
{
    /// <summary>
    /// The default state folder depends on the account, so a scheduled task under another account,
    /// or a script that pins another folder, looks where the user's batches are not. When a folder
    /// holds no batch but the per-user default folder does, Get-BatchState says where they are:
    /// once per folder and process, and only then (listing a folder's file names is cheap).
    /// </summary>
    internal static class BatchesElsewhereHint
    {
        private static readonly HashSet<string> Hinted = new HashSet<string>(StringComparer.Ordinal);

        internal static void WarnIfEmpty(Cmdlet cmdlet, IBatchStore store, Func<string, IBatchStore> storeAt)
        {
            lock (Hinted)
            {
                if (!Hinted.Add(store.Location)) return;
            }
            try
            {
                // The per-user folder, whatever STATECMDLETS_HOME says.
                string perUser = Path.GetFullPath(Core.Storage.StateDirectory.Default(name => name == Core.Storage.StateDirectory.EnvironmentVariable ? null : Environment.GetEnvironmentVariable(name)));
                if (string.Equals(Path.GetFullPath(store.Location), perUser, StringComparison.Ordinal) || store.ListBatchIds().Count > 0) return;
                var elsewhere = storeAt(perUser);
                if (!elsewhere.LocationExists) return;
                var ids = elsewhere.ListBatchIds();
                if (ids.Count == 0) return;
                string some = string.Join(", ", ids.Take(3)) + (ids.Count > 3 ? ", ..." : string.Empty);
                cmdlet.WriteWarning($"No batch in '{store.Location}', but the per-user state folder '{perUser}' has {ids.Count} ({some}). " +
                    "The default folder depends on the account: a scheduled task under another account, or a script that sets STATECMDLETS_HOME, looks elsewhere. " +
                    $"To use those batches, pass -StateDirectory '{perUser}'.");
            }
            catch (StateException)
            {
                // Only a hint: a folder that cannot be listed says nothing.
            }
        }
    }
}
