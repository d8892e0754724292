using System;
using System.Collections.Generic;

namespace StateCmdlets.Core.Batches.FileStore
{
    /// <summary>One recorded change, with its sequence number and where it sits in the file.</summary>
    internal sealed class JournalRecord
    {
        internal JournalRecord(long sequence, JournalOperation operation, FeatureResult? result, DateTime at, long offset)
        {
            Sequence = sequence;
            Operation = operation;
            Result = result;
            At = at;
            Offset = offset;
        }

        internal long Sequence { get; }

        internal JournalOperation Operation { get; }

        /// <summary>The result, for <see cref="JournalOperation.Result"/>.</summary>
        internal FeatureResult? Result { get; }

        internal DateTime At { get; }

        internal long Offset { get; }

        /// <summary>Whose claims, for claim, renewal and release records.</summary>
        internal WorkerIdentity? Worker { get; set; }

        /// <summary>The lease expiry, for claim and renewal records.</summary>
        internal DateTime Until { get; set; }

        /// <summary>The features claimed and their tokens, for a claim record.</summary>
        internal IReadOnlyList<ClaimItem> Items { get; set; } = Array.Empty<ClaimItem>();

        /// <summary>The features released, for a release record.</summary>
        internal IReadOnlyList<string> Features { get; set; } = Array.Empty<string>();

        /// <summary>Replays this record on a batch in memory (reading a journal, or salvaging one).</summary>
        internal void ApplyTo(Batch batch, string snapshotPath)
        {
            switch (Operation)
            {
                case JournalOperation.Result:
                    batch.Apply(Result!, At, snapshotPath);
                    break;
                case JournalOperation.ResetBreaker:
                    batch.ResetBreaker(At);
                    break;
                case JournalOperation.ResetContext:
                    batch.ResetContext(At);
                    break;
                case JournalOperation.Claim:
                    batch.ApplyClaim(Items, Worker!, At, Until);
                    break;
                case JournalOperation.Renew:
                    batch.ApplyRenewal(Worker!, At, Until);
                    break;
                case JournalOperation.Release:
                    batch.ApplyRelease(Worker!, Features);
                    break;
            }
        }
    }
}
