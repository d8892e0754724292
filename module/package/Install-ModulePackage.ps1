#Requires -Version 7.0
<#
.SYNOPSIS
    Installs a module's .nupkg with PSResourceGet from a local folder repository into a temporary
    HOME, as a user would install it, and prints the installed manifest's path.
.DESCRIPTION
    build.ps1 Test runs it on out/package/StateCmdlets.<version>.nupkg and then runs the Pester suite
    against what it installed, imported by name: the tests see exactly what ships.

    Like New-ModulePackage.ps1, the PSResourceGet step runs in a child pwsh whose HOME,
    XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_CACHE_HOME point into -HomeRoot and whose PSModulePath
    names only $PSHOME/Modules, so the user's real PSResourceGet configuration and module folders
    are never read or written. The only repository is the .nupkg's own folder (the default gallery
    entry is unregistered first), so nothing is looked up online.

    Linux and macOS: Install-PSResource -Scope CurrentUser, which puts the module in the per-user
    module folder of a pwsh started with that HOME (<HomeRoot>/.local/share/powershell/Modules on
    Linux). Windows: the per-user folders do not follow HOME, so Install-PSResource would write
    into the real Documents folder and register the repository in the real configuration; there
    the child registers a repository under a unique name, runs Save-PSResource -IncludeXml (the
    same files Install-PSResource writes) into <HomeRoot>/Modules, and unregisters it again.
.PARAMETER PackagePath
    The .nupkg (<Name>.<Version>.nupkg) to install.
.PARAMETER HomeRoot
    The temporary HOME (created when missing; it should be empty).
.PARAMETER Isolated
    Internal: set by the script itself when it runs the install in the isolated child.
.OUTPUTS
    The full path of the installed <Name>.psd1 (as text).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $PackagePath,
    [Parameter(Mandatory)] [string] $HomeRoot,
    [string] $Name,
    [string] $Version,
    [switch] $Isolated
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

if ($Isolated) {
    $ProgressPreference = 'SilentlyContinue'
    Import-Module Microsoft.PowerShell.PSResourceGet
    $folder = Split-Path -Parent $PackagePath
    if ($IsWindows) {
        $repository = 'StateCmdletsInstall-' + [guid]::NewGuid().ToString('N')
        Register-PSResourceRepository -Name $repository -Uri $folder -Trusted
        try {
            $modules = New-Item -ItemType Directory -Path (Join-Path $HomeRoot 'Modules') -Force
            Save-PSResource -Name $Name -Version $Version -Repository $repository -Path $modules.FullName -IncludeXml -TrustRepository
        }
        finally { Unregister-PSResourceRepository -Name $repository }
    }
    else {
        $data = [Environment]::GetFolderPath('LocalApplicationData')
        if (-not $data.StartsWith($HomeRoot, [StringComparison]::Ordinal)) { throw "PSResourceGet's data folder '$data' is not inside the temporary HOME '$HomeRoot'." }
        $repository = 'StateCmdletsInstall'
        Get-PSResourceRepository | Unregister-PSResourceRepository
        Register-PSResourceRepository -Name $repository -Uri $folder -Trusted
        Install-PSResource -Name $Name -Version $Version -Repository $repository -Scope CurrentUser -TrustRepository
    }
    exit 0
}

$package = (Resolve-Path -LiteralPath $PackagePath).ProviderPath
if ((Split-Path -Leaf $package) -notmatch '^(?<name>.+?)\.(?<version>\d+(\.\d+){1,3})\.nupkg$') { throw "'$package' is not named <Name>.<Version>.nupkg." }
$Name = $Matches.name
$Version = $Matches.version
$null = New-Item -ItemType Directory -Path $HomeRoot -Force
$homeFull = (Resolve-Path -LiteralPath $HomeRoot).ProviderPath

$folders = [ordered]@{
    HOME            = $homeFull
    XDG_CONFIG_HOME = Join-Path $homeFull '.config'
    XDG_DATA_HOME   = Join-Path $homeFull '.local/share'
    XDG_CACHE_HOME  = Join-Path $homeFull '.cache'
}
# .NET reports a special folder that does not exist as "", which would make PSResourceGet write
# its configuration relative to the current directory: create them all first.
foreach ($folder in $folders.Values) { $null = New-Item -ItemType Directory -Path $folder -Force }

$psi = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME 'pwsh'))
foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $PSCommandPath, '-PackagePath', $package, '-HomeRoot', $homeFull, '-Name', $Name, '-Version', $Version, '-Isolated')) { $psi.ArgumentList.Add($a) }
$psi.UseShellExecute = $false
$psi.WorkingDirectory = $homeFull
foreach ($key in $folders.Keys) { $psi.Environment[$key] = $folders[$key] }
$psi.Environment['PSModulePath'] = Join-Path $PSHOME 'Modules'
$psi.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
$psi.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
$process = [System.Diagnostics.Process]::Start($psi)
if (-not $process.WaitForExit(300000)) {
    $process.Kill($true)
    throw 'Installing the package did not finish within 300 s; it was stopped.'
}
if ($process.ExitCode -ne 0) { throw "Installing $Name $Version from '$package' failed (exit code $($process.ExitCode))." }

# Found rather than predicted: where PSResourceGet puts a CurrentUser install follows the
# platform's data folder, which differs between Linux and macOS.
$manifest = Get-ChildItem -LiteralPath $homeFull -Recurse -File -Force -Filter "$Name.psd1" |
    Where-Object { $_.Directory.Name -eq $Version -and $_.Directory.Parent.Name -eq $Name } |
    Select-Object -First 1 -ExpandProperty FullName
if (-not $manifest) { throw "PSResourceGet reported success but no $Name/$Version/$Name.psd1 is under '$homeFull'." }
Write-Host "Installed $Name $Version from $package into $(Split-Path -Parent $manifest)"
$manifest
