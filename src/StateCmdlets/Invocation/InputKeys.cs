using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using StateCmdlets.Core;
using StateCmdlets.Core.Batches;

namespace StateCmdlets.Invocation
{
    /// <summary>
    /// Invoke-Batch's input as items: each input object's key (the item's feature name) and the
    /// first input object with that key, which its block gets as $_. A string is its own key; an
    /// object's key is its Name (as New-BatchState reads it), or what -Key says: a property name
    /// or a script block of $_. Duplicate keys are one item, blank keys none; both are counted for
    /// one warning each. Input without a usable key is an error of its own, and the rest go on.
    /// </summary>
    internal sealed class InputKeys
    {
        private readonly object? _key;
        private readonly Dictionary<string, object> _firstInput = new Dictionary<string, object>(StringComparer.Ordinal);
        private readonly List<string> _names = new List<string>();
        private int _duplicates;
        private int _blanks;

        /// <param name="key">Null (the default), a property name, or a ScriptBlock.</param>
        internal InputKeys(object? key)
        {
            _key = key is PSObject wrapped ? wrapped.BaseObject : key;
            if (_key != null && !(_key is string) && !(_key is ScriptBlock))
                throw new ArgumentException($"-Key takes a property name or a script block, not a {_key.GetType().FullName}.");
        }

        /// <summary>The items' keys, in input order, each once.</summary>
        internal IReadOnlyList<string> Names => _names;

        /// <summary>The input object an item's block gets as $_: this run's first input with the key, else the key itself.</summary>
        internal object InputFor(string key) => _firstInput.TryGetValue(key, out var input) ? input : key;

        /// <summary>Adds one input object; returns an error for input that gives no usable key (nothing is added then).</summary>
        internal ErrorRecord? Add(object? input)
        {
            string? key;
            try
            {
                key = KeyOf(input);
            }
            catch (RuntimeException e)
            {
                return ErrorRecordFactory.InvalidArgument("InvalidFeatureInput", $"-Key failed for an input object: {e.Message}", input);
            }
            if (key == null)
            {
                object? value = input is PSObject wrapped ? wrapped.BaseObject : input;
                string how = _key == null ? "pipe strings, or objects with a Name property, or say which property (or script block) gives the key with -Key"
                    : _key is string property ? $"it has no property '{property}'" : "-Key gave nothing for it";
                return ErrorRecordFactory.InvalidArgument("InvalidFeatureInput", $"Cannot make an item key of input of type {value?.GetType().FullName ?? "null"}: {how}. The object was left out.", input);
            }
            if (string.IsNullOrWhiteSpace(key))
            {
                _blanks++;
                return null;
            }
            try
            {
                Batch.CheckName("item key", key);
            }
            catch (InvalidBatchDefinitionException e)
            {
                return new ErrorRecord(e, e.ErrorId, ErrorCategory.InvalidArgument, input);
            }
            if (_firstInput.ContainsKey(key))
            {
                _duplicates++;
                return null;
            }
            _firstInput.Add(key, input ?? key);
            _names.Add(key);
            return null;
        }

        /// <summary>The one warning each for blank and duplicate keys, or null.</summary>
        internal IEnumerable<string> Warnings()
        {
            if (_blanks > 0)
                yield return string.Format(CultureInfo.InvariantCulture, "Skipped {0} input object(s) whose key is empty or white space: blank lines are not work items.", _blanks);
            if (_duplicates > 0)
                yield return string.Format(CultureInfo.InvariantCulture, "{0} input object(s) repeat a key given before: each key is one item, run once with the first object that has it.", _duplicates);
        }

        private string? KeyOf(object? input)
        {
            switch (_key)
            {
                case null:
                    return FeatureNameOfInput.Of(input);
                case string property:
                    object? value = input is PSObject wrapped ? wrapped.BaseObject : input;
                    if (value is string text) return text;
                    var found = PSObject.AsPSObject(input).Properties[property];
                    if (found == null && value is System.Collections.IDictionary dictionary && dictionary.Contains(property)) return Text(dictionary[property]);
                    return found == null ? null : Text(found.Value);
                default:
                    var block = (ScriptBlock)_key;
                    var results = block.InvokeWithContext(null, new List<PSVariable> { new PSVariable("_", input) }, input);
                    return Text(results.FirstOrDefault(r => r != null));
            }
        }

        private static string? Text(object? value)
        {
            if (value is PSObject wrapped) value = wrapped.BaseObject;
            return value == null ? null : Convert.ToString(value, CultureInfo.InvariantCulture);
        }
    }
}
