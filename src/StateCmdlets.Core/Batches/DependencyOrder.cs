using System;
using System.Collections.Generic;
using System.Linq;

namespace StateCmdlets.Core.Batches
{
    /// <summary>Orders features so each comes after what it depends on, and finds cycles.</summary>
    internal static class DependencyOrder
    {
        /// <summary>
        /// A stable topological order of <paramref name="features"/>: among those whose dependencies
        /// inside the set are placed, the one earliest in the batch goes next (Kahn's algorithm).
        /// </summary>
        internal static IReadOnlyList<Feature> Sort(IReadOnlyList<Feature> features)
        {
            var inSet = new HashSet<string>(features.Select(f => f.Name), StringComparer.Ordinal);
            var waitingOn = features.ToDictionary(f => f.Name, f => f.DependsOn.Count(inSet.Contains), StringComparer.Ordinal);
            var dependents = new Dictionary<string, List<Feature>>(StringComparer.Ordinal);
            foreach (var f in features)
                foreach (string on in f.DependsOn.Where(inSet.Contains))
                {
                    if (!dependents.TryGetValue(on, out var list)) dependents[on] = list = new List<Feature>();
                    list.Add(f);
                }
            var ready = new SortedSet<Feature>(features.Where(f => waitingOn[f.Name] == 0), ByIndex.Instance);
            var order = new List<Feature>(features.Count);
            while (ready.Count > 0)
            {
                var next = ready.Min!;
                ready.Remove(next);
                order.Add(next);
                if (!dependents.TryGetValue(next.Name, out var after)) continue;
                foreach (var d in after)
                    if (--waitingOn[d.Name] == 0) ready.Add(d);
            }
            return order; // a cycle is refused at creation, so every feature is placed
        }

        /// <summary>A cycle as the names along it (first name repeated at the end), or null.</summary>
        internal static IReadOnlyList<string>? FindCycle(IReadOnlyList<Feature> features, Func<string, Feature> find)
        {
            var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
            var path = new List<string>();
            foreach (var start in features)
            {
                var cycle = Visit(start);
                if (cycle != null) return cycle;
            }
            return null;

            List<string>? Visit(Feature f)
            {
                if (state.TryGetValue(f.Name, out int s))
                {
                    if (s == 2) return null;
                    int from = path.IndexOf(f.Name);
                    return path.Skip(from).Concat(new[] { f.Name }).ToList();
                }
                state[f.Name] = 1;
                path.Add(f.Name);
                foreach (string on in f.DependsOn)
                {
                    var cycle = Visit(find(on));
                    if (cycle != null) return cycle;
                }
                path.RemoveAt(path.Count - 1);
                state[f.Name] = 2;
                return null;
            }
        }

        private sealed class ByIndex : IComparer<Feature>
        {
            internal static readonly ByIndex Instance = new ByIndex();

            public int Compare(Feature? x, Feature? y) => (x?.Index ?? -1).CompareTo(y?.Index ?? -1);
        }
    }
}
