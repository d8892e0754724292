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

    # The package build.ps1 Test built and installed (the very file), or, when the tests run on a
    # staged folder without one, what build.ps1 Package runs, into a temp folder.
    $packageFolder = Join-Path $work 'package'
    $null = New-Item -ItemType Directory -Path $packageFolder -Force
    if ($env:STATECMDLETS_TEST_PACKAGE) {
        $built = Get-Item -LiteralPath $env:STATECMDLETS_TEST_PACKAGE
        Copy-Item -LiteralPath $built.FullName -Destination $packageFolder
        $pack = [pscustomobject]@{ ExitCode = 0; StdOut = "build.ps1 made $($built.FullName)"; StdErr = '' }
    }
    else {
        $pack = Invoke-TestPwsh -ScriptPath (Join-Path $repoRoot 'module/package/New-ModulePackage.ps1') `
            -ArgumentList @('-ModulePath', $moduleFolder, '-OutputDirectory', $packageFolder) -TimeoutSeconds 120 -What 'New-ModulePackage.ps1'
    }
    $nupkg = Join-Path $packageFolder "StateCmdlets.$version.nupkg"
    $exported = @((Import-PowerShellDataFile -LiteralPath $ModuleManifestPath).CmdletsToExport)

    function Get-PackageEntry {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try { @($zip.Entries | ForEach-Object FullName) } finally { $zip.Dispose() }
    }

    function Get-Nuspec {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $reader = [IO.StreamReader]::new($zip.GetEntry('StateCmdlets.nuspec').Open())
            try { [xml]$reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
    }
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

    It 'packs the module: manifest, root module, both builds, formats, types, compiled help, LICENSE and CHANGELOG' {
        $entries = Get-PackageEntry
        $files = 'StateCmdlets.psd1', 'StateCmdlets.psm1', 'StateCmdlets.format.ps1xml', 'StateCmdlets.types.ps1xml', 'LICENSE', 'CHANGELOG.md',
            'en-US/StateCmdlets.dll-Help.xml', 'en-US/about_StateCmdlets.help.txt', 'StateCmdlets.nuspec',
            'bin/net8.0/StateCmdlets.dll', 'bin/net8.0/StateCmdlets.Core.dll', 'bin/net8.0/StateCmdlets.LoadContext.dll',
            'bin/net472/StateCmdlets.dll', 'bin/net472/StateCmdlets.Core.dll', 'bin/net472/StateCmdlets.LoadContext.dll',
            'bin/net472/System.Text.Json.dll', 'bin/net472/System.Memory.dll', 'bin/net472/System.Runtime.CompilerServices.Unsafe.dll'
        foreach ($file in $files) { $file | Should -BeIn $entries }
        # Nothing of ours at the top beside the root module: every assembly is under bin/<framework>.
        @($entries | Where-Object { $_ -like '*.dll' -and $_ -notlike 'bin/net8.0/*' -and $_ -notlike 'bin/net472/*' }) | Should -BeNullOrEmpty
        @($entries | Where-Object { ($_ -like '*.md' -and $_ -ne 'CHANGELOG.md') -or $_ -like '*ConvertTo-MamlHelp*' -or $_ -like 'help/*' -or $_ -like '*.deps.json' }) | Should -BeNullOrEmpty
    }

    It 'names the module and version in the nuspec' {
        $nuspec = Get-Nuspec
        $nuspec.package.metadata.id | Should -Be 'StateCmdlets'
        $nuspec.package.metadata.version | Should -Be $version
    }

    It 'tags PSIncludes_Cmdlet and a PSCommand_ tag for each exported cmdlet, as Find-PSResource -CommandName looks for' {
        $tags = @((Get-Nuspec).package.metadata.tags -split ' ')
        'PSIncludes_Cmdlet' | Should -BeIn $tags
        (@($tags | Where-Object { $_ -like 'PSCommand_*' } | ForEach-Object { $_.Substring(10) } | Sort-Object) -join ',') | Should -BeExactly (@($exported | Sort-Object) -join ',')
    }

    It 'has no placeholder address, and the licence ships in the package' {
        $text = (Get-Nuspec).OuterXml
        $text | Should -Not -Match 'example\.(invalid|com|org)'
        (Get-Nuspec).package.metadata.copyright | Should -Match 'MIT'
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $reader = [IO.StreamReader]::new($zip.GetEntry('LICENSE').Open())
            try { $license = $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
        $license | Should -Match '^MIT License'
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
$found = @(Find-PSResource -CommandName New-BatchState -Repository StateCmdletsTest)
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
    FoundBy    = @($found | ForEach-Object { "$($_.ParentResource.Name) $($_.ParentResource.Version)" })
    Shipped    = @('LICENSE', 'CHANGELOG.md' | Where-Object { Test-Path -LiteralPath (Join-Path $module.ModuleBase $_) })
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
        # Linux: <HOME>/.local/share/powershell/Modules; macOS may use another data folder under HOME.
        [IO.Path]::GetFullPath($report.ModuleBase) | Should -BeLike "$([IO.Path]::GetFullPath($isolatedHome))*StateCmdlets*$version"
        Join-Path $state 'installed.json' | Should -Exist
    }

    It 'is found by Find-PSResource -CommandName New-BatchState, and installs LICENSE and CHANGELOG.md' {
        $report.FoundBy | Should -Be @("StateCmdlets $version")
        $report.Shipped | Should -Be @('LICENSE', 'CHANGELOG.md')
    }

    It 'leaves the real per-user module folder as it was' {
        Get-RealModulesState | Should -Be $realBefore
    }
}
