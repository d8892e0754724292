using System.Collections.Generic;

namespace StateCmdlets.Core.Batches
{
    /// <summary>What Repair-BatchState did for one batch, and what it could not recover.</summary>
    public sealed class RepairReport
    {
        internal RepairReport(string batchId, string path)
        {
            BatchId = batchId;
            Path = path;
        }

        public string BatchId { get; }

        /// <summary>The snapshot file.</summary>
        public string Path { get; }

        /// <summary>The batch loads now (true also when there was nothing to repair).</summary>
        public bool Recovered { get; internal set; }

        public List<string> Actions { get; } = new List<string>();

        /// <summary>What could not be recovered (results in damaged journal lines, say).</summary>
        public List<string> Lost { get; } = new List<string>();

        /// <summary>The problems found before the repair.</summary>
        public List<StateProblem> Problems { get; } = new List<StateProblem>();
    }
}
