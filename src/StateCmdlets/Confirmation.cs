using System;
using System.Management.Automation;

namespace StateCmdlets
{
    /// <summary>
    /// ShouldProcess for a change whose impact is not the one the cmdlet declares: New-BatchState
    /// (Low) replacing recorded work is High; Invoke-StateMigration (High) with -Force asks nothing.
    /// It asks exactly when PowerShell would for a cmdlet declared at that impact: -WhatIf, -Confirm
    /// and -Confirm:$false win, and otherwise $ConfirmPreference decides. A prompt ShouldProcess would
    /// not show (the declared impact is lower) is a ShouldContinue, with Yes to All and No to All.
    /// </summary>
    internal sealed class Confirmation
    {
        private readonly PSCmdlet _cmdlet;
        private readonly ConfirmImpact _declared;
        private bool _yesToAll;
        private bool _noToAll;

        internal Confirmation(PSCmdlet cmdlet)
        {
            _cmdlet = cmdlet;
            var declaration = (CmdletAttribute?)Attribute.GetCustomAttribute(cmdlet.GetType(), typeof(CmdletAttribute));
            _declared = declaration?.ConfirmImpact ?? ConfirmImpact.Medium;
        }

        /// <summary>True when the change may go ahead, as ShouldProcess at <paramref name="impact"/> would say.</summary>
        internal bool ShouldProcess(string target, string action, ConfirmImpact impact)
        {
            // -WhatIf writes its "What if:" line and never prompts; -Confirm prompts, -Confirm:$false never does.
            if (impact == _declared || WhatIf || _cmdlet.MyInvocation.BoundParameters.ContainsKey("Confirm"))
                return _cmdlet.ShouldProcess(target, action);
            ConfirmImpact preference = ConfirmPreference;
            bool asks = preference != ConfirmImpact.None && impact >= preference;
            bool declaredAsks = preference != ConfirmImpact.None && _declared >= preference;
            if (asks == declaredAsks) return _cmdlet.ShouldProcess(target, action);
            if (!asks) return true;
            if (!_cmdlet.ShouldProcess(target, action)) return false;
            if (_yesToAll) return true;
            if (_noToAll) return false;
            return _cmdlet.ShouldContinue($"Are you sure you want to perform this action?\nPerforming the operation \"{action}\" on target \"{target}\".", "Confirm", ref _yesToAll, ref _noToAll);
        }

        private bool WhatIf =>
            _cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? bound) ? IsOn(bound) : IsOn(_cmdlet.GetVariableValue("WhatIfPreference"));

        private ConfirmImpact ConfirmPreference
        {
            get
            {
                object? value = _cmdlet.GetVariableValue("ConfirmPreference");
                if (value is PSObject wrapped) value = wrapped.BaseObject;
                if (value is ConfirmImpact impact) return impact;
                return value != null && Enum.TryParse(value.ToString(), true, out ConfirmImpact parsed) ? parsed : ConfirmImpact.High;
            }
        }

        private static bool IsOn(object? value) => value switch
        {
            SwitchParameter s => s.IsPresent,
            bool b => b,
            PSObject p => IsOn(p.BaseObject),
            _ => false,
        };
    }
}
