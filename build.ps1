#Requires -Version 7.0
<#
.SYNOPSIS
    Builds, tests, benchmarks and stages the StateCmdlets module.
.DESCRIPTION
    Build    publish the net8.0 and net472 builds and stage a loadable module in out/StateCmdlets/<version>/
    Test     Build and Package, start one PostgreSQL for the run (tests/Start-TestPostgres.ps1), then
             the xunit tests of the core and of the PostgreSQL store, then the Pester tests against the
             package installed with PSResourceGet into a temporary HOME and imported by name in a fresh
             pwsh; stops the server and ends with one line totalling both
    Example  Build, then run the README's example batch script end to end (state in out/example-state)
    Package  Build, then pack out/package/StateCmdlets.<version>.nupkg for Install-PSResource from a folder
    Bench    Build, then run the benchmarks in bench/ (-Quick: small sizes, a sanity run; -ColdStart:
             only the cold-start rows; -Postgres: only the PostgreSQL store next to the file store;
             -InvokeBatch: only the Invoke-Batch rows)
    Clean    remove out/ and every bin/ and obj/
    Run it as: dotnet tool restore; dotnet pwsh ./build.ps1 <Task>
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Example', 'Package', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Bench only: small batches and few updates, a sanity run in seconds.
    [switch] $Quick,

    # Bench only: just the cold-start rows (a fresh pwsh: bare, import + Get-BatchState, first resume).
    [switch] $ColdStart,

    # Bench only: just the PostgreSQL rows (a throwaway server, the PostgreSQL store next to the file store).
    [switch] $Postgres,

    # Bench only: just the Invoke-Batch rows (sleeping items against the ideal; empty ones next to ForEach-Object -Parallel).
    [switch] $InvokeBatch
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$manifest = Import-PowerShellDataFile (Join-Path $root 'StateCmdlets.psd1')
$version = $manifest.ModuleVersion
$staged = Join-Path $out "StateCmdlets/$version"
$pwsh = Join-Path $PSHOME 'pwsh'

function Invoke-Native {
    param([string] $What, [scriptblock] $Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

# One module, two builds: bin/net8.0 for PowerShell 7.4+ and bin/net472 for Windows PowerShell 5.1.
# StateCmdlets.psm1 picks one when the module is imported.
$frameworks = 'net8.0', 'net472'

function Invoke-Build {
    foreach ($framework in $frameworks) {
        # A fresh folder each time, so a dependency dropped from the project does not linger.
        $publish = Join-Path $out "publish/$framework"
        if (Test-Path $publish) { Remove-Item $publish -Recurse -Force }
        Invoke-Native "dotnet publish ($framework)" {
            dotnet publish (Join-Path $root 'src/StateCmdlets/StateCmdlets.csproj') -c $Configuration -f $framework -o $publish --nologo -v quiet
        }
    }
    if (Test-Path $staged) { Remove-Item $staged -Recurse -Force }
    New-Item -ItemType Directory -Path $staged -Force | Out-Null
    Copy-Item (Join-Path $root 'StateCmdlets.psd1'), (Join-Path $root 'module/StateCmdlets.psm1'), (Join-Path $root 'LICENSE'), (Join-Path $root 'CHANGELOG.md') $staged
    foreach ($framework in $frameworks) {
        $bin = New-Item -ItemType Directory -Path (Join-Path $staged "bin/$framework") -Force
        Get-ChildItem (Join-Path $out "publish/$framework") -Include '*.dll', '*.pdb' -Recurse | Copy-Item -Destination $bin
    }
    # Only what the module itself uses: the manifest's format and type files, the about topic, and
    # the MAML help compiled from module/help/en-US/*.md (the Markdown and its generator stay out).
    foreach ($file in @($manifest.FormatsToProcess) + @($manifest.TypesToProcess)) { Copy-Item (Join-Path $root "module/$file") $staged }
    $helpFolder = New-Item -ItemType Directory -Path (Join-Path $staged 'en-US') -Force
    Copy-Item (Join-Path $root 'module/help/en-US/about_*.help.txt') $helpFolder
    # A fresh pwsh loads the staged dll to read the cmdlets' metadata, so this process never holds it.
    Invoke-Native 'compiling the help (module/help/ConvertTo-MamlHelp.ps1)' {
        & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'module/help/ConvertTo-MamlHelp.ps1') -ModuleManifest (Join-Path $staged 'StateCmdlets.psd1')
    }
    Write-Host "Staged StateCmdlets $version in $staged"
}

function Get-NuGetPackageFolder {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
}

function Get-PesterManifest {
    $tools = Join-Path $root 'tests/tools/Tools.csproj'
    Invoke-Native 'restoring Pester' { dotnet restore $tools --nologo -v quiet }
    $path = Join-Path (Get-NuGetPackageFolder) 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $path)) { throw "Pester was restored but $path is missing." }
    $path
}

function Invoke-Test {
    Invoke-Build
    $package = New-Package
    $results = Join-Path $out 'test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory -Path $results | Out-Null

    # One PostgreSQL for the whole run, xunit and Pester alike (tests/Start-TestPostgres.ps1): the
    # server STATECMDLETS_TEST_PG or PGHOST names, else a throwaway cluster, stopped at the end even
    # when tests fail; without one, the PostgreSQL tests are skipped, saying what to install.
    $ownCluster = -not $env:STATECMDLETS_TEST_PG -and -not $env:PGHOST
    $postgres = & (Join-Path $root 'tests/Start-TestPostgres.ps1')
    if ($postgres.SkipReason) { Write-Host "`n*** $($postgres.SkipReason) ***`n" -ForegroundColor Yellow }
    else { Write-Host "PostgreSQL for the tests: $(if ($postgres.Cluster) { "a throwaway cluster in $($postgres.Cluster)" } else { 'the server STATECMDLETS_TEST_PG or PGHOST names' })" }
    $postgresEnvironment = [ordered]@{
        STATECMDLETS_TEST_PG         = $postgres.ConnectionString
        STATECMDLETS_TEST_PG_CLUSTER = $postgres.Cluster
        STATECMDLETS_TEST_PG_SKIP    = $postgres.SkipReason
        STATECMDLETS_TEST_PWSH       = $pwsh
    }
    $savedPostgres = @{}
    foreach ($key in $postgresEnvironment.Keys) { $savedPostgres[$key] = [Environment]::GetEnvironmentVariable($key); [Environment]::SetEnvironmentVariable($key, $postgresEnvironment[$key]) }
    try {
        # xunit: the core library, then the PostgreSQL store against a throwaway server (skipped, saying
        # what to install, where there is no PostgreSQL).
        $xunit = @{ Passed = 0; Failed = 0; Skipped = 0 }
        $xunitExit = 0
        foreach ($project in 'StateCmdlets.Core.Tests', 'StateCmdlets.PostgreSql.Tests') {
            $trx = Join-Path $results "$project.trx"
            dotnet test (Join-Path $root "tests/$project/$project.csproj") -c $Configuration --nologo `
                --logger "trx;LogFileName=$trx" --logger 'console;verbosity=detailed'
            if ($LASTEXITCODE -ne 0) { $xunitExit = $LASTEXITCODE }
            if (Test-Path $trx) {
                $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
                $xunit.Passed += [int]$counters.passed
                $xunit.Failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout
                $xunit.Skipped += [int]$counters.notExecuted
            }
            elseif ($LASTEXITCODE -ne 0) { $xunit.Failed += 1 }
        }

        # Pester: the package as a user gets it. Installed with PSResourceGet into a temporary HOME,
        # then imported by name in a fresh pwsh that has that HOME (so the install is its per-user
        # module folder, and the tests never touch the real user's profile or state).
        $pesterManifest = Get-PesterManifest
        $testHome = Join-Path $out 'test-home'
        if (Test-Path $testHome) { Remove-Item $testHome -Recurse -Force }
        $installed = Invoke-Native 'installing the package (module/package/Install-ModulePackage.ps1)' {
            & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'module/package/Install-ModulePackage.ps1') -PackagePath $package -HomeRoot $testHome
        } | Select-Object -Last 1
        Write-Host "Installed $package into $(Split-Path -Parent $installed)"
        $testEnvironment = [ordered]@{
            HOME            = $testHome
            XDG_CONFIG_HOME = Join-Path $testHome '.config'
            XDG_DATA_HOME   = Join-Path $testHome '.local/share'
            XDG_CACHE_HOME  = Join-Path $testHome '.cache'
            XDG_STATE_HOME  = $null
            PSModulePath    = (Split-Path -Parent (Split-Path -Parent (Split-Path -Parent $installed))) + [IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')
            # The test HOME has no NuGet folder of its own: the tests that read restored packages
            # (the .NET Framework reference assemblies) look here.
            NUGET_PACKAGES  = Get-NuGetPackageFolder
        }
        $pesterJson = Join-Path $results 'pester.json'
        $saved = @{}
        foreach ($key in $testEnvironment.Keys) { $saved[$key] = [Environment]::GetEnvironmentVariable($key); [Environment]::SetEnvironmentVariable($key, $testEnvironment[$key]) }
        try {
            & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'tests/Invoke-PesterTests.ps1') `
                -PesterManifest $pesterManifest -InstalledManifest $installed -PackagePath $package -ResultPath $pesterJson
            $pesterExit = $LASTEXITCODE
        }
        finally {
            foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
        }
    }
    finally {
        foreach ($key in $savedPostgres.Keys) { [Environment]::SetEnvironmentVariable($key, $savedPostgres[$key]) }
        if ($ownCluster -and $postgres.Cluster) { & (Join-Path $root 'tests/Stop-TestPostgres.ps1') -Cluster $postgres.Cluster }
    }
    $pester = @{ Passed = 0; Failed = 1; Skipped = 0 }
    if (Test-Path $pesterJson) { $pester = Get-Content $pesterJson -Raw | ConvertFrom-Json -AsHashtable }

    $passed = $xunit.Passed + $pester.Passed
    $failed = $xunit.Failed + $pester.Failed
    $skipped = $xunit.Skipped + $pester.Skipped
    if ($failed -eq 0 -and ($xunitExit -ne 0 -or $pesterExit -ne 0)) { $failed = 1 }
    $line = "Tests: $passed passed, $failed failed"
    if ($skipped -gt 0) { $line += ", $skipped skipped" }
    Write-Host ''
    Write-Host $line
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Example {
    Invoke-Build
    $state = Join-Path $out 'example-state'
    & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'tests/Invoke-ReadmeExample.ps1') `
        -ModuleManifest (Join-Path $staged 'StateCmdlets.psd1') -StateDirectory $state
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function New-Package {
    # PSResourceGet in a child pwsh with a temporary HOME: see module/package/New-ModulePackage.ps1.
    Invoke-Native 'packaging (module/package/New-ModulePackage.ps1)' {
        & $pwsh -NoProfile -NonInteractive -File (Join-Path $root 'module/package/New-ModulePackage.ps1') -ModulePath $staged -OutputDirectory (Join-Path $out 'package')
    } | Select-Object -Last 1
}

function Invoke-Package {
    Invoke-Build
    $package = New-Package
    Write-Host "Packed $package"
}

function Invoke-Bench {
    Invoke-Build
    $project = Join-Path $root 'bench/StateCmdlets.Bench/StateCmdlets.Bench.csproj'
    if (-not (Test-Path $project)) { Write-Host 'No benchmarks yet.'; return }
    # The child pwsh is this very pwsh, so the cmdlet row runs the module under the repo's PowerShell.
    $benchArgs = @('--module', (Join-Path $staged 'StateCmdlets.psd1'), '--pwsh', $pwsh, '--output', (Join-Path $out 'bench/results.md'))
    if ($Quick) { $benchArgs += '--quick' }
    if ($ColdStart) { $benchArgs += '--cold-start' }
    if ($Postgres) { $benchArgs += '--postgres' }
    if ($InvokeBatch) { $benchArgs += '--invoke-batch' }
    Invoke-Native 'building the benchmarks' { dotnet build $project -c Release --nologo -v quiet }
    Invoke-Native 'benchmarks' { dotnet run --project $project -c Release --no-build -- @benchArgs }
}

function Invoke-Clean {
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    Get-ChildItem $root -Directory -Recurse -Include 'bin', 'obj' | Remove-Item -Recurse -Force
}

try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Example' { Invoke-Example }
        'Package' { Invoke-Package }
        'Bench' { Invoke-Bench }
        'Clean' { Invoke-Clean }
    }
}
catch {
    Write-Host "build.ps1 $Task failed: $_" -ForegroundColor Red
    exit 1
}
