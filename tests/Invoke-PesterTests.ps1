<#
.SYNOPSIS
    Runs the Pester tests against a staged module; writes pass/fail/skip counts as JSON.
    Called by build.ps1 Test in a fresh pwsh.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force
# Every test file imports the module from here, never from bin/ or the user's module path.
$env:STATECMDLETS_TEST_MODULE = $ModuleManifest

$config = New-PesterConfiguration
$config.Run.Path = Join-Path $PSScriptRoot 'Pester'
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config

@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount; Skipped = $result.SkippedCount } |
    ConvertTo-Json | Set-Content -Path $ResultPath -Encoding utf8
exit ([int]($result.Result -ne 'Passed'))
