using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using StateCmdlets.Core.Batches;

using StateCmdlets.Completion;

namespace StateCmdlets.Commands
{
    /// <summary>
    /// Records the work items of a new batch. Features come from -Feature and from the pipeline
    /// (strings, or objects with a Name property); all pipeline input makes one batch.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "BatchState", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(BatchState))]
    public sealed class NewBatchStateCommand : BatchSettingsCmdletBase
    {
        private readonly List<string> _features = new List<string>();
        private readonly List<int> _blankInputs = new List<int>();
        private int _inputCount;

        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = string.Empty;

        [Parameter(Position = 1)]
        public string[]? Feature { get; set; }

        /// <summary>Pipeline input: a string is a feature name; another object gives its Name property.</summary>
        [Parameter(ValueFromPipeline = true)]
        public object? InputObject { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(BatchIdCompleter))]
        public string? BatchId { get; set; }

        /// <summary>Feature name to the feature name(s) it must come after: @{ app = 'db'; web = 'app', 'cache' }.</summary>
        [Parameter]
        [ValidateNotNull]
        public IDictionary? DependsOn { get; set; }

        /// <summary>Replace an existing batch with the same id.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        // Piped objects (a FeatureState, say) carry a store of their own: the batch goes where the
        // command line (or the environment) says, never where the last item came from.
        private protected override bool StoreFromPipeline => false;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (Feature != null) _features.AddRange(Feature);
        }

        protected override void ProcessRecord()
        {
            if (!MyInvocation.BoundParameters.ContainsKey(nameof(InputObject))) return;
            _inputCount++;
            // A blank line of a list (a trailing one is common) is not a work item: skipped, and counted in one warning.
            if ((InputObject is PSObject wrapped ? wrapped.BaseObject : InputObject) is string text && string.IsNullOrWhiteSpace(text))
            {
                _blankInputs.Add(_inputCount);
                return;
            }
            _features.Add(FeatureNameOf(InputObject));
        }

        protected override void EndProcessing()
        {
            var definition = new BatchDefinition(Name, _features)
            {
                BatchId = BatchId,
                Settings = SettingsFromParameters(),
                Dependencies = DependenciesOf(DependsOn),
            };
            string target = BatchId != null ? BatchId : "new batch";
            string action = $"Create batch '{Name}' with {_features.Count} feature(s)" + (Force ? ", replacing any batch with this id" : string.Empty);
            // Replacing recorded work is High impact: it asks at the default $ConfirmPreference.
            string? replaced = Force && BatchId != null ? ReplacedWork.Describe(CurrentStore, BatchId) : null;
            if (replaced != null) action = $"Replace batch '{BatchId}' ({replaced}) with a new batch '{Name}' of {_features.Count} feature(s)";
            if (_blankInputs.Count > 0)
                WriteWarning($"Skipped {_blankInputs.Count} empty or white-space-only string(s) of the pipeline input ({(_blankInputs.Count == 1 ? "item" : "items")} {Positions(_blankInputs)}): blank lines are not work items.");
            if (!new Confirmation(this).ShouldProcess(target, action, replaced != null ? ConfirmImpact.High : ConfirmImpact.Low)) return;
            if (_features.Count == 0) WriteWarning($"Batch '{Name}' has no features; it is complete as soon as it is created.");

            var store = CurrentStore;
            Batch? created = null;
            if (TryRun(() => created = store.Create(definition, Force, Cancellation), BatchId))
                WriteObject(new BatchState(created!, store));
        }

        /// <summary>"3", "3, 7 and 12", or the first five and how many more.</summary>
        private static string Positions(List<int> positions)
        {
            const int shown = 5;
            var text = positions.Take(shown).Select(p => p.ToString(CultureInfo.InvariantCulture)).ToList();
            if (positions.Count > shown) return string.Join(", ", text) + $" and {positions.Count - shown} more";
            if (text.Count == 1) return text[0];
            return string.Join(", ", text.Take(text.Count - 1)) + " and " + text[text.Count - 1];
        }

        /// <summary>@{ web = 'app', 'cache' } as feature -> names; values may be one name or a list.</summary>
        private static IReadOnlyDictionary<string, IReadOnlyList<string>> DependenciesOf(IDictionary? table)
        {
            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (table == null) return result;
            foreach (DictionaryEntry entry in table)
            {
                string feature = Convert.ToString(entry.Key is PSObject k ? k.BaseObject : entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
                object? value = entry.Value is PSObject v ? v.BaseObject : entry.Value;
                var names = value is string single ? new[] { single }
                    : value is IEnumerable many ? many.Cast<object?>().Select(o => Convert.ToString(o is PSObject p ? p.BaseObject : o, CultureInfo.InvariantCulture) ?? string.Empty).ToArray()
                    : new[] { Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty };
                result[feature] = names;
            }
            return result;
        }

        private string FeatureNameOf(object? input)
        {
            string? name = FeatureNameOfInput.Of(input);
            if (name == null)
            {
                // Terminating: a batch silently missing an item is worse than no batch.
                ThrowTerminatingError(ErrorRecordFactory.InvalidArgument("InvalidFeatureInput",
                    $"Cannot make a feature name from pipeline input of type {(input is PSObject wrapped ? wrapped.BaseObject : input)?.GetType().FullName ?? "null"}: pipe strings, features, or objects with a Name property. No batch was created.", input));
            }
            return name!;
        }
    }
}
