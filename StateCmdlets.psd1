@{
    RootModule           = 'StateCmdlets.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = 'bdca69b8-10d5-4c50-8af5-96bdd3e3b850'
    Author               = 'StateCmdlets contributors'
    CompanyName          = 'StateCmdlets'
    Copyright            = '(c) StateCmdlets contributors. MIT License.'
    Description          = 'Crash-safe persistent state for long-running PowerShell scripts: record each work item of a batch durably, resume exactly what is left after a crash, reboot or kill, and never lose an update when two runs overlap.'
    PowerShellVersion    = '5.1'
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
            Tags         = @('state', 'resume', 'checkpoint', 'batch', 'crash-safe', 'atomic', 'locking', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://example.invalid/StateCmdlets/LICENSE'
            ProjectUri   = 'https://example.invalid/StateCmdlets'
            ReleaseNotes = 'See CHANGELOG.md.'
        }
    }
}
