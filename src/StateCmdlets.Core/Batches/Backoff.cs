using System;
using System.Security.Cryptography;

namespace StateCmdlets.Core.Batches
{
    /// <summary>
    /// When a failed feature may be tried again: the batch's RetryDelay doubled per attempt, with
    /// jitter (so many failures at once do not all retry at the same moment), capped at MaxRetryDelay.
    /// </summary>
    internal static class Backoff
    {
        internal static DateTime? RetryAt(BatchSettings settings, int attempt, DateTime now)
        {
            if (settings.RetryDelay <= TimeSpan.Zero) return null;
            double seconds = settings.RetryDelay.TotalSeconds * Math.Pow(2, Math.Min(attempt - 1, 30));
            seconds = Math.Min(seconds, settings.MaxRetryDelay.TotalSeconds) * (0.75 + 0.5 * Random());
            return now.AddSeconds(Math.Min(seconds, settings.MaxRetryDelay.TotalSeconds));
        }

        private static double Random()
        {
            var bytes = new byte[4];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return BitConverter.ToUInt32(bytes, 0) / (uint.MaxValue + 1.0);
        }
    }
}
