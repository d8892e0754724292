<#
.SYNOPSIS
    Runs an example script of README.md against a staged module, with its state in
    -StateDirectory: the first example (between the readme-example markers), or the one -Example
    names (readme-under-the-hood, the long form). Used by build.ps1 Example and by the Pester
    tests, so the README's examples are the code that is tested.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $StateDirectory,
    [string] $Readme = (Join-Path $PSScriptRoot '../README.md'),
    [ValidateSet('readme-example', 'readme-under-the-hood')] [string] $Example = 'readme-example'
)
$ErrorActionPreference = 'Stop'
$text = Get-Content -LiteralPath $Readme -Raw
$match = [regex]::Match($text, "<!-- $($Example):begin -->\s*``````powershell\r?\n(?<code>.*?)``````\s*<!-- $($Example):end -->", 'Singleline')
if (-not $match.Success) { throw "No example between the $Example markers in $Readme." }

# Import-Module StateCmdlets must find the staged module by name, as a user's would.
$modules = Split-Path (Split-Path (Split-Path $ModuleManifest))
$env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
$env:STATECMDLETS_HOME = $StateDirectory
& ([scriptblock]::Create($match.Groups['code'].Value))
