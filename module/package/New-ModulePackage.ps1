#Requires -Version 7.0
<#
.SYNOPSIS
    Packs a staged module folder into <Name>.<Version>.nupkg that Install-PSResource (and
    Install-Module) can install from a local folder repository.
.DESCRIPTION
    Uses PSResourceGet, which ships with PowerShell 7.4 and later: registers a temporary folder as
    a repository, runs Publish-PSResource on the staged module into it, and copies the .nupkg to
    -OutputDirectory. build.ps1 Package runs it on out/StateCmdlets/<version>/ into out/package/.

    All of that runs in a child pwsh whose HOME, XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME
    point into a temporary folder (deleted afterwards), and whose PSModulePath names only
    $PSHOME/Modules: PSResourceGet keeps its repository list in the data folder, so the user's
    real PSResourceGet configuration, module folders and NuGet settings are never read or written.

    Offline by design: the temporary configuration's only repository is the local folder (the
    default PSGallery entry is unregistered) and -SkipDependenciesCheck stops Publish-PSResource
    from looking dependencies up in any repository. The manifest names no LicenseUri or ProjectUri
    (the licence ships as the LICENSE file), so no network access is needed and none is attempted.

    On Windows the special folders do not follow environment variables, so a temporary HOME
    cannot hide the user's PSResourceGet configuration; there the child packs the same .nupkg
    with Compress-PSResource, which needs no repository, instead of registering one.
.PARAMETER ModulePath
    The staged module folder: the one holding <Name>.psd1 (out/StateCmdlets/<version>).
.PARAMETER OutputDirectory
    Where <Name>.<Version>.nupkg is written (created when missing; an older file of that name is
    replaced). The folder can be registered as a repository as it is.
.PARAMETER Isolated
    Internal: set by the script itself when it runs the publishing step in the isolated child.
.OUTPUTS
    The path of the .nupkg (as text).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputDirectory,
    [switch] $Isolated
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

if ($Isolated) {
    # In the child. PSResourceGet keeps its repository list under the LocalApplicationData folder;
    # on Linux and macOS that follows XDG_DATA_HOME/HOME, so it is inside the temporary HOME.
    Import-Module Microsoft.PowerShell.PSResourceGet
    $data = [Environment]::GetFolderPath('LocalApplicationData')
    if ($data -and $data.StartsWith($env:HOME, [StringComparison]::Ordinal)) {
        $repository = 'StateCmdletsPackage'
        # Only the local folder: nothing can reach out to a remote repository.
        Get-PSResourceRepository | Where-Object Name -NE $repository | Unregister-PSResourceRepository
        Register-PSResourceRepository -Name $repository -Uri $OutputDirectory -Trusted
        Publish-PSResource -Path $ModulePath -Repository $repository -SkipDependenciesCheck
    }
    else {
        # Windows: known folders ignore environment variables, so registering a repository would
        # change the user's real configuration. Compress-PSResource packs the same .nupkg (the same
        # nuspec, from the same manifest) without any repository.
        Compress-PSResource -Path $ModulePath -DestinationPath $OutputDirectory
    }
    exit 0
}

$module = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$manifestFile = @(Get-ChildItem -LiteralPath $module -Filter '*.psd1' -File)
if ($manifestFile.Count -ne 1) { throw "'$module' must hold exactly one module manifest (.psd1); it holds $($manifestFile.Count)." }
$name = $manifestFile[0].BaseName
$version = (Import-PowerShellDataFile -LiteralPath $manifestFile[0].FullName).ModuleVersion
$null = New-Item -ItemType Directory -Path $OutputDirectory -Force
$output = (Resolve-Path -LiteralPath $OutputDirectory).ProviderPath

$temp = Join-Path ([IO.Path]::GetTempPath()) ("statecmdlets-package-" + [guid]::NewGuid().ToString('N'))
try {
    $home_ = Join-Path $temp 'home'
    $repository = Join-Path $temp 'repository'
    $folders = @{
        HOME            = $home_
        XDG_CONFIG_HOME = Join-Path $home_ '.config'
        XDG_DATA_HOME   = Join-Path $home_ '.local/share'
        XDG_CACHE_HOME  = Join-Path $home_ '.cache'
    }
    # .NET reports a special folder that does not exist as "", which would make PSResourceGet write
    # its configuration relative to the current directory: create them all first.
    foreach ($folder in @($folders.Values) + $repository) { $null = New-Item -ItemType Directory -Path $folder -Force }

    $psi = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME 'pwsh'))
    foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath, '-ModulePath', $module, '-OutputDirectory', $repository, '-Isolated')) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.WorkingDirectory = $temp
    foreach ($key in $folders.Keys) { $psi.Environment[$key] = $folders[$key] }
    $psi.Environment['PSModulePath'] = Join-Path $PSHOME 'Modules'
    $psi.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
    $psi.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
    $process = [System.Diagnostics.Process]::Start($psi)
    if (-not $process.WaitForExit(300000)) {
        $process.Kill($true)
        throw 'Publish-PSResource did not finish within 300 s; it was stopped.'
    }
    if ($process.ExitCode -ne 0) { throw "Publish-PSResource failed (exit code $($process.ExitCode))." }

    $packed = Join-Path $repository "$name.$version.nupkg"
    if (-not (Test-Path -LiteralPath $packed)) { throw "Publish-PSResource reported success but wrote no $name.$version.nupkg." }
    $target = Join-Path $output "$name.$version.nupkg"
    Copy-Item -LiteralPath $packed -Destination $target -Force
    Write-Host "Packed $name $version into $target"
    $target
}
finally {
    if (Test-Path -LiteralPath $temp) { Remove-Item -LiteralPath $temp -Recurse -Force -ErrorAction SilentlyContinue }
}
