@{
    RootModule           = 'StateCmdlets.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'bdca69b8-10d5-4c50-8af5-96bdd3e3b850'
    Author               = 'StateCmdlets contributors'
    CompanyName          = 'StateCmdlets'
    Copyright            = '(c) StateCmdlets contributors. MIT License.'
    Description          = 'Crash-safe persistent state for long-running PowerShell scripts: record each work item of a batch durably, resume exactly what is left after a crash, reboot or kill, and never lose an update when two runs overlap.'
    # Windows PowerShell 5.1 on .NET Framework 4.7.2 or later loads bin/net472; PowerShell 7.4 or
    # later (.NET 8) loads bin/net8.0. StateCmdlets.psm1 refuses PowerShell 7.0 to 7.3 with a clear
    # error: a manifest holds one minimum version for both editions.
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    CompatiblePSEditions = @('Desktop', 'Core')
    FormatsToProcess     = @('StateCmdlets.format.ps1xml')
    TypesToProcess       = @('StateCmdlets.types.ps1xml')
    CmdletsToExport      = @(
        'New-BatchState'
        'Get-BatchState'
        'Resume-BatchState'
        'Set-FeatureResult'
        'Invoke-Batch'
        'Remove-BatchState'
        'Invoke-StateMigration'
        'Reset-BatchContext'
        'Checkpoint-BatchState'
        'Import-BatchState'
        'Copy-BatchState'
        'Test-BatchState'
        'Repair-BatchState'
        'Test-StateFile'
        'Read-StateFile'
        'Save-StateFile'
        'Update-StateFile'
        'Use-StateLock'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            # PSCommand_<name> and PSIncludes_Cmdlet: what Find-PSResource -CommandName looks for.
            Tags         = @(
                'state', 'resume', 'checkpoint', 'batch', 'crash-safe', 'atomic', 'locking', 'PostgreSQL'
                'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS', 'PSIncludes_Cmdlet'
                'PSCommand_New-BatchState', 'PSCommand_Get-BatchState', 'PSCommand_Resume-BatchState', 'PSCommand_Set-FeatureResult'
                'PSCommand_Remove-BatchState', 'PSCommand_Invoke-StateMigration', 'PSCommand_Reset-BatchContext', 'PSCommand_Checkpoint-BatchState'
                'PSCommand_Import-BatchState', 'PSCommand_Copy-BatchState', 'PSCommand_Test-BatchState', 'PSCommand_Repair-BatchState', 'PSCommand_Test-StateFile'
                'PSCommand_Read-StateFile', 'PSCommand_Save-StateFile', 'PSCommand_Update-StateFile', 'PSCommand_Use-StateLock'
                'PSCommand_Invoke-Batch'
            )
            ReleaseNotes = 'See CHANGELOG.md in the module folder.'
        }
    }
}
