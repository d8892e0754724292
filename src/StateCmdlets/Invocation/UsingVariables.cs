using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// $using:name in a script block, as ForEach-Object -Parallel reads it: the caller's variable,
    /// read once when the command starts, shared by reference with every item. The block's text is
    /// rewritten with a variable of ours in place of each $using:name (nested blocks too, so
    /// Where-Object { $_ -eq $using:x } works), which each item's scope then holds; so the same
    /// block runs in worker runspaces and in the caller's own, at every throttle limit.
    /// </summary>
    internal sealed class UsingVariables
    {
        private const string Prefix = "__StateCmdletsUsing";

        private UsingVariables(string text, IReadOnlyList<KeyValuePair<string, string>> names)
        {
            Text = text;
            Names = names;
        }

        /// <summary>The block's text with each $using:name replaced by its variable.</summary>
        internal string Text { get; }

        /// <summary>Each name as written after "using:", and the variable that stands for it, once per name.</summary>
        internal IReadOnlyList<KeyValuePair<string, string>> Names { get; }

        internal bool Any => Names.Count > 0;

        /// <summary>Finds the $using: expressions of <paramref name="block"/> and rewrites its text.</summary>
        internal static UsingVariables Of(ScriptBlock block)
        {
            string text = block.ToString();
            var ast = Parser.ParseInput(text, out _, out _);
            var usings = ast.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true)
                .Select(a => UsingExpressionAst.ExtractUsingVariable((UsingExpressionAst)a))
                .OrderByDescending(v => v.Extent.StartOffset)
                .ToList();
            var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var names = new List<KeyValuePair<string, string>>();
            // Unique per name, in order of first use.
            foreach (var variable in usings.OrderBy(v => v.Extent.StartOffset))
            {
                string name = variable.VariablePath.UserPath;
                if (variables.ContainsKey(name)) continue;
                string standIn = Prefix + names.Count.ToString(CultureInfo.InvariantCulture);
                variables.Add(name, standIn);
                names.Add(new KeyValuePair<string, string>(name, standIn));
            }
            // From the end, so earlier offsets stay valid.
            var rewritten = new System.Text.StringBuilder(text);
            foreach (var variable in usings)
            {
                var extent = variable.Extent;
                rewritten.Remove(extent.StartOffset, extent.EndOffset - extent.StartOffset).Insert(extent.StartOffset, "$" + variables[variable.VariablePath.UserPath]);
            }
            return new UsingVariables(rewritten.ToString(), names);
        }

        /// <summary>
        /// The caller's values, by the variables that stand for them. A variable that is not set is
        /// an error, as in ForEach-Object -Parallel (a drive-qualified one, $using:env:NAME, may be empty).
        /// </summary>
        internal void AddValues(SessionState sessionState, IDictionary<string, object?> into)
        {
            foreach (var pair in Names)
            {
                bool qualified = pair.Key.IndexOf(':') >= 0;
                if (!qualified && sessionState.PSVariable.Get(pair.Key) == null)
                    throw new UsingVariableNotSetException(pair.Key);
                into[pair.Value] = sessionState.PSVariable.GetValue(pair.Key);
            }
        }
    }

    /// <summary>$using:name of a variable the caller has not set.</summary>
    internal sealed class UsingVariableNotSetException : Exception
    {
        internal UsingVariableNotSetException(string name)
            : base($"The value of the using variable '$using:{name}' cannot be retrieved because it has not been set in the local session.")
        {
            Name = name;
        }

        internal string Name { get; }
    }
}
