BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    function Invoke-IsolatedPwsh {
        <#
        .SYNOPSIS
            Runs a script in a child pwsh whose HOME, XDG_* folders and PSModulePath point into
            -HomeRoot, so PSResourceGet and Import-Module never see the user's real configuration
            or module folders. Returns ExitCode, StdOut and StdErr; bounded by -TimeoutSeconds.
        #>
        param(
            [Parameter(Mandatory)] [string] $HomeRoot,
            [Parameter(Mandatory)] [string] $ScriptPath,
            [string[]] $ArgumentList = @(),
            [int] $TimeoutSeconds = 120
        )
        $folders = @{
            HOME            = $HomeRoot
            XDG_CONFIG_HOME = Join-Path $HomeRoot '.config'
            XDG_DATA_HOME   = Join-Path $HomeRoot '.local/share'
            XDG_CACHE_HOME  = Join-Path $HomeRoot '.cache'
        }
        # .NET reports a missing special folder as "": create them, or PSResourceGet writes to $PWD.
        foreach ($folder in $folders.Values) { $null = New-Item -ItemType Directory -Path $folder -Force }
        $psi = [System.Diagnostics.ProcessStartInfo]::new($PwshPath)
        foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $psi.WorkingDirectory = $HomeRoot
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        foreach ($key in $folders.Keys) { $psi.Environment[$key] = $folders[$key] }
        $psi.Environment['PSModulePath'] = Join-Path $PSHOME 'Modules'
        $psi.Environment['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        $psi.Environment['POWERSHELL_UPDATECHECK'] = 'Off'
        $psi.Environment.Remove('STATECMDLETS_HOME') | Out-Null
        $p = [System.Diagnostics.Process]::Start($psi)
        $out = $p.StandardOutput.ReadToEndAsync()
        $err = $p.StandardError.ReadToEndAsync()
        Wait-TestProcess -Process $p -TimeoutSeconds $TimeoutSeconds -What 'isolated pwsh'
        [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out.GetAwaiter().GetResult(); StdErr = $err.GetAwaiter().GetResult() }
    }

    $moduleFolder = Split-Path -Parent $ModuleManifestPath
    $version = (Import-PowerShellDataFile -LiteralPath $ModuleManifestPath).ModuleVersion
    $repoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $work = Split-Path -Parent (New-TestStateDirectory -NoCreate)
    $packageFolder = Join-Path $work 'package'

    # The real per-user module folder (PowerShell lists it first in PSModulePath), to show the test
    # leaves it alone: its entries, and whether a StateCmdlets folder is there.
    $realUserModules = @($env:PSModulePath -split [IO.Path]::PathSeparator)[0]
    function Get-RealModulesState {
        if (-not (Test-Path -LiteralPath $realUserModules)) { return '(no folder)' }
        (Get-ChildItem -LiteralPath $realUserModules -Force | ForEach-Object { '{0} {1:o}' -f $_.Name, $_.LastWriteTimeUtc }) -join "`n"
    }
    $realBefore = Get-RealModulesState

    # What build.ps1 Package runs, into a temp folder.
    $pack = Invoke-TestPwsh -ScriptPath (Join-Path $repoRoot 'module/package/New-ModulePackage.ps1') `
        -ArgumentList @('-ModulePath', $moduleFolder, '-OutputDirectory', $packageFolder) -TimeoutSeconds 120 -What 'New-ModulePackage.ps1'
    $nupkg = Join-Path $packageFolder "StateCmdlets.$version.nupkg"
}

AfterAll {
    if ($work) { Remove-TestStateDirectory -Path (Join-Path $work 'state') }
}

Describe 'module/package/New-ModulePackage.ps1 (build.ps1 Package)' {
    It 'writes StateCmdlets.<version>.nupkg' {
        $pack.ExitCode | Should -Be 0 -Because "$($pack.StdOut)`n$($pack.StdErr)"
        $nupkg | Should -Exist
        @(Get-ChildItem -LiteralPath $packageFolder).Name | Should -Be @("StateCmdlets.$version.nupkg")
    }

    It 'packs the staged module: manifest, assemblies, formats, types and compiled help, no help sources' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try { $entries = @($zip.Entries | ForEach-Object FullName) } finally { $zip.Dispose() }
        foreach ($file in 'StateCmdlets.psd1', 'StateCmdlets.dll', 'StateCmdlets.Core.dll', 'StateCmdlets.format.ps1xml', 'StateCmdlets.types.ps1xml', 'en-US/StateCmdlets.dll-Help.xml', 'en-US/about_StateCmdlets.help.txt', 'StateCmdlets.nuspec') {
            $file | Should -BeIn $entries
        }
        @($entries | Where-Object { $_ -like '*.md' -or $_ -like '*ConvertTo-MamlHelp*' -or $_ -like 'help/*' }) | Should -BeNullOrEmpty
    }

    It 'names the module and version in the nuspec' {
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $reader = [IO.StreamReader]::new($zip.GetEntry('StateCmdlets.nuspec').Open())
            $nuspec = [xml]$reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $nuspec.package.metadata.id | Should -Be 'StateCmdlets'
        $nuspec.package.metadata.version | Should -Be $version
    }
}

# Windows resolves the per-user folders through the shell, not HOME/XDG_*, so a temporary HOME
# cannot isolate an install there: the install is tested on Linux and macOS only.
Describe 'Installing the package from a folder repository, in a temporary HOME' -Skip:($IsWindows -eq $true) {
    BeforeAll {
        $isolatedHome = Join-Path $work 'home'
        $state = Join-Path $work 'state'
        $script = Join-Path $work 'install.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Repository, [string] $StateDirectory)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module Microsoft.PowerShell.PSResourceGet
# Only the test's folder: the default gallery entry goes, so nothing is looked up online.
Get-PSResourceRepository | Unregister-PSResourceRepository
Register-PSResourceRepository -Name StateCmdletsTest -Uri $Repository
Install-PSResource -Name StateCmdlets -Repository StateCmdletsTest -TrustRepository -Scope CurrentUser
Import-Module StateCmdlets
$module = Get-Module StateCmdlets
$created = New-BatchState -Name 'Installed from the package' -Feature one, two -BatchId installed -StateDirectory $StateDirectory
Set-FeatureResult -BatchId installed -Feature one -Status Completed -StateDirectory $StateDirectory
$read = Get-BatchState -BatchId installed -StateDirectory $StateDirectory
[pscustomobject]@{
    ModuleBase = $module.ModuleBase
    Version    = "$($module.Version)"
    Created    = $created.BatchId
    Total      = $read.Total
    Completed  = $read.Completed
    Status     = "$($read.Status)"
    HasHelp    = [bool](Get-Help New-BatchState -Full).examples
} | ConvertTo-Json -Compress
'@
        $install = Invoke-IsolatedPwsh -HomeRoot $isolatedHome -ScriptPath $script -ArgumentList @('-Repository', $packageFolder, '-StateDirectory', $state)
        $report = $install.StdOut -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1 | ConvertFrom-Json
    }

    It 'installs, imports by name and runs New-BatchState and Get-BatchState' {
        $install.ExitCode | Should -Be 0 -Because "$($install.StdOut)`n$($install.StdErr)"
        $report.Created | Should -Be 'installed'
        $report.Total | Should -Be 2
        $report.Completed | Should -Be 1
        $report.Status | Should -Be 'Running'
        $report.Version | Should -Be $version
        $report.HasHelp | Should -BeTrue
    }

    It 'installs into the temporary HOME, not the staged folder or a real module path' {
        $expected = [IO.Path]::GetFullPath((Join-Path $isolatedHome '.local/share/powershell/Modules/StateCmdlets'))
        [IO.Path]::GetFullPath($report.ModuleBase) | Should -BeLike "$expected*"
        Join-Path $state 'installed.json' | Should -Exist
    }

    It 'leaves the real per-user module folder as it was' {
        Get-RealModulesState | Should -Be $realBefore
    }
}
