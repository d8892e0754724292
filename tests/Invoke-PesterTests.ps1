<#
.SYNOPSIS
    Runs the Pester tests against one copy of the module; writes pass/fail/skip counts as JSON.
    Called by build.ps1 Test in a fresh pwsh.
.DESCRIPTION
    build.ps1 Test installs the .nupkg it built with PSResourceGet into a temporary HOME and runs
    this script with that HOME and -InstalledManifest: the module is imported by name, as a user
    imports it, and must come from that install. While iterating, -ModuleManifest runs the tests
    against any module folder (out/StateCmdlets/<version>/StateCmdlets.psd1) instead.
.PARAMETER PackagePath
    The .nupkg that was installed; Package.Tests.ps1 checks that very file.
#>
[CmdletBinding(DefaultParameterSetName = 'Manifest')]
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory, ParameterSetName = 'Manifest')] [string] $ModuleManifest,
    [Parameter(Mandatory, ParameterSetName = 'Installed')] [string] $InstalledManifest,
    [string] $PackagePath,
    [Parameter(Mandatory)] [string] $ResultPath,
    # Only these test files (names or paths under tests/Pester); all of them when omitted.
    [string[]] $Path
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force

if ($PSCmdlet.ParameterSetName -eq 'Installed') {
    # By name, from PSModulePath, as a user imports it; it must be the copy that was installed.
    $name = [System.IO.Path]::GetFileNameWithoutExtension($InstalledManifest)
    $module = Import-Module $name -PassThru -ErrorAction Stop
    $expected = [System.IO.Path]::GetFullPath((Split-Path -Parent $InstalledManifest))
    if ([System.IO.Path]::GetFullPath($module.ModuleBase) -ne $expected) {
        throw "Import-Module $name loaded '$($module.ModuleBase)', not the installed package in '$expected': another copy comes first on PSModulePath ($env:PSModulePath)."
    }
    Write-Host "Testing $name $($module.Version), installed from the package in $($module.ModuleBase)"
    $ModuleManifest = $InstalledManifest
}
# Every test file imports the module from here, never from bin/ or another module path.
$env:STATECMDLETS_TEST_MODULE = $ModuleManifest
if ($PackagePath) { $env:STATECMDLETS_TEST_PACKAGE = $PackagePath }

$config = New-PesterConfiguration
$config.Run.Path = if ($Path) { @($Path | ForEach-Object { if (Test-Path -LiteralPath $_) { $_ } else { Join-Path $PSScriptRoot "Pester/$_" } }) } else { Join-Path $PSScriptRoot 'Pester' }
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config

@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount; Skipped = $result.SkippedCount } |
    ConvertTo-Json | Set-Content -Path $ResultPath -Encoding utf8
exit ([int]($result.Result -ne 'Passed'))
