<#
.SYNOPSIS
    The PostgreSQL server of a test run: a throwaway cluster, or the server the environment names.
    Returns an object with ConnectionString (a superuser's, with its password), Cluster (the
    throwaway cluster's folder, or $null for a server the tests did not make) and SkipReason (why
    there is no server, and what to install; $null when there is one).
.DESCRIPTION
    build.ps1 Test calls it once, points both test runs at the server through STATECMDLETS_TEST_PG
    (and STATECMDLETS_TEST_PG_CLUSTER) and stops it with tests/Stop-TestPostgres.ps1 at the end;
    the xunit tests, run on their own, call it themselves (-Json).

    In order:
    - STATECMDLETS_TEST_PG (a connection string whose user may CREATE DATABASE), or PGHOST and the
      other PG* variables: that server, used as it is (never stopped or reconfigured);
    - else a new cluster of the newest PostgreSQL in /usr/lib/postgresql/<version>/bin (the Debian
      package; as root, installed now with apt-get when missing): made by initdb in a folder
      <temp>/statecmdlets-pg-<random> as the postgres system user when run as root (PostgreSQL
      refuses to run as root), listening on 127.0.0.1 at a free port and on a Unix socket in that
      folder only; password logins over TCP, trust on the socket;
    - else no server: SkipReason says what to install, and a warning says it loudly.

    The cluster's folder holds cluster.json: the connection string and the exact commands that start
    and stop it (Stop has MODE where pg_ctl's -m goes), which the xunit and Pester tests run to
    crash and restart the server. Clusters left by a test process that died (OwnerProcessId gone)
    are stopped and deleted first.
.PARAMETER OwnerProcessId
    The process whose end makes the cluster an orphan for the next run to reap (default: this one).
.PARAMETER Cluster
    Start an existing cluster again (after Stop-TestPostgres.ps1 -Keep) instead of making one.
.PARAMETER Json
    Write the result as one line of JSON (for a caller in another process).
#>
[CmdletBinding()]
param(
    [int] $OwnerProcessId = $PID,
    [string] $Cluster,
    [switch] $Json
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$folderPrefix = 'statecmdlets-pg-'
$advice = "install the Debian package 'postgresql' (apt-get install -y postgresql: initdb and pg_ctl in /usr/lib/postgresql/<version>/bin), or set STATECMDLETS_TEST_PG to the connection string of a server whose user may CREATE DATABASE"
$isRoot = -not $IsWindows -and ((& id -u) -eq '0')

function Write-Result([string] $ConnectionString, [string] $Folder, [string] $SkipReason) {
    $result = [pscustomobject]@{ ConnectionString = $ConnectionString; Cluster = $Folder; SkipReason = $SkipReason }
    if ($SkipReason) { Write-Warning $SkipReason }
    if ($Json) { $result | ConvertTo-Json -Compress } else { $result }
}

function Invoke-External([string[]] $Command) {
    $output = & $Command[0] @($Command | Select-Object -Skip 1) 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$($Command -join ' ') failed (exit code $LASTEXITCODE): $($output -join "`n")" }
}

# As the postgres system user when root (PostgreSQL refuses root); as this user otherwise.
function Get-ServerCommand([string] $Program, [string[]] $Arguments) {
    if ($isRoot) { @('runuser', '-u', 'postgres', '--', $Program) + $Arguments } else { @($Program) + $Arguments }
}

function Start-Cluster([string] $Folder) {
    $info = Get-Content -LiteralPath (Join-Path $Folder 'cluster.json') -Raw | ConvertFrom-Json
    Invoke-External $info.Start
    Write-Result -ConnectionString $info.ConnectionString -Folder $Folder
}

if ($Cluster) { return Start-Cluster $Cluster }

# A server the environment names.
if ($env:STATECMDLETS_TEST_PG) {
    return Write-Result -ConnectionString $env:STATECMDLETS_TEST_PG -Folder $env:STATECMDLETS_TEST_PG_CLUSTER
}
if ($env:PGHOST) {
    $parts = @("Host=$env:PGHOST", "Username=$(if ($env:PGUSER) { $env:PGUSER } else { 'postgres' })", "Database=$(if ($env:PGDATABASE) { $env:PGDATABASE } else { 'postgres' })")
    if ($env:PGPORT) { $parts += "Port=$env:PGPORT" }
    if ($env:PGPASSWORD) { $parts += "Password=$env:PGPASSWORD" }
    return Write-Result -ConnectionString ($parts -join ';')
}

function Find-PostgresBin {
    if (-not (Test-Path -LiteralPath '/usr/lib/postgresql')) { return $null }
    Get-ChildItem -LiteralPath '/usr/lib/postgresql' -Directory |
        Where-Object { $_.Name -match '^\d+$' -and (Test-Path (Join-Path $_.FullName 'bin/initdb')) -and (Test-Path (Join-Path $_.FullName 'bin/pg_ctl')) } |
        Sort-Object { [int]$_.Name } -Descending | Select-Object -First 1 | ForEach-Object { Join-Path $_.FullName 'bin' }
}

$bin = Find-PostgresBin
if (-not $bin) {
    if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction Ignore)) {
        return Write-Result -SkipReason "PostgreSQL tests SKIPPED: PostgreSQL is not installed and this user cannot install it (not root, or no apt-get); $advice."
    }
    Write-Host 'PostgreSQL is not installed: installing the Debian package postgresql with apt-get for the tests...'
    $env:DEBIAN_FRONTEND = 'noninteractive'
    # A fresh machine may have no package lists yet: install, and on failure update and try once more.
    & apt-get install -y postgresql *> $null
    if ($LASTEXITCODE -ne 0) { & apt-get update *> $null; & apt-get install -y postgresql *> $null }
    $bin = Find-PostgresBin
    if (-not $bin) { return Write-Result -SkipReason "PostgreSQL tests SKIPPED: apt-get install -y postgresql did not give initdb and pg_ctl in /usr/lib/postgresql/*/bin; $advice." }
}

# Clusters of earlier runs whose owner died before stopping them.
$temp = [IO.Path]::GetTempPath()
foreach ($old in Get-ChildItem -LiteralPath $temp -Directory -Filter "$folderPrefix*" -ErrorAction Ignore) {
    $ownerFile = Join-Path $old.FullName 'owner.pid'
    if (-not (Test-Path -LiteralPath $ownerFile)) { continue }
    $owner = 0
    if (-not [int]::TryParse((Get-Content -LiteralPath $ownerFile -Raw).Trim(), [ref] $owner)) { continue }
    if (Get-Process -Id $owner -ErrorAction Ignore) { continue }
    if (Test-Path -LiteralPath (Join-Path $old.FullName 'data/postmaster.pid')) {
        try { Invoke-External (Get-ServerCommand (Join-Path $bin 'pg_ctl') @('-D', (Join-Path $old.FullName 'data'), '-m', 'immediate', '-w', 'stop')) } catch { }
    }
    try { [IO.Directory]::Delete($old.FullName, $true) } catch { }
}

$folder = Join-Path $temp ($folderPrefix + [guid]::NewGuid().ToString('N').Substring(0, 12))
$null = New-Item -ItemType Directory -Path $folder
Set-Content -LiteralPath (Join-Path $folder 'owner.pid') -Value $OwnerProcessId -NoNewline
$password = [Convert]::ToHexString([Security.Cryptography.RandomNumberGenerator]::GetBytes(12))
$passwordFile = Join-Path $folder 'pwfile'
Set-Content -LiteralPath $passwordFile -Value $password
if ($isRoot) { Invoke-External @('chown', '-R', 'postgres:postgres', $folder) }
$data = Join-Path $folder 'data'
# Password logins over TCP (the tests of a wrong password need them); the socket trusts.
Invoke-External (Get-ServerCommand (Join-Path $bin 'initdb') @('-D', $data, '-U', 'postgres', "--pwfile=$passwordFile", '-E', 'UTF8', '--no-locale',
        '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync'))
[IO.File]::Delete($passwordFile)

$listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
$listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
$pgCtl = Join-Path $bin 'pg_ctl'
$options = "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$folder -c max_connections=200 -c shared_buffers=32MB"
$info = [ordered]@{
    ConnectionString = "Host=127.0.0.1;Port=$port;Username=postgres;Password=$password;Database=postgres"
    Start            = Get-ServerCommand $pgCtl @('-D', $data, '-l', (Join-Path $folder 'server.log'), '-w', '-t', '60', '-o', $options, 'start')
    Stop             = Get-ServerCommand $pgCtl @('-D', $data, '-m', 'MODE', '-w', '-t', '60', 'stop')
}
$info | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $folder 'cluster.json')
if ($isRoot) { Invoke-External @('chown', 'postgres:postgres', (Join-Path $folder 'cluster.json')) }
Start-Cluster $folder
