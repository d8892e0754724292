<#
.SYNOPSIS
    Runs the example script of README.md (between the readme-example markers) against a staged
    module, with its state in -StateDirectory. Used by build.ps1 Example and by the Pester tests,
    so the README's example is the code that is tested.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $StateDirectory,
    [string] $Readme = (Join-Path $PSScriptRoot '../README.md')
)
$ErrorActionPreference = 'Stop'
$text = Get-Content -LiteralPath $Readme -Raw
$match = [regex]::Match($text, '<!-- readme-example:begin -->\s*```powershell\r?\n(?<code>.*?)```\s*<!-- readme-example:end -->', 'Singleline')
if (-not $match.Success) { throw "No example between the readme-example markers in $Readme." }

# Import-Module StateCmdlets must find the staged module by name, as a user's would.
$modules = Split-Path (Split-Path (Split-Path $ModuleManifest))
$env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
$env:STATECMDLETS_HOME = $StateDirectory
& ([scriptblock]::Create($match.Groups['code'].Value))
