<#
.SYNOPSIS
    Stops a throwaway PostgreSQL cluster made by tests/Start-TestPostgres.ps1, and deletes it.
.PARAMETER Cluster
    The cluster's folder (Start-TestPostgres.ps1's Cluster).
.PARAMETER Mode
    pg_ctl's shutdown mode: fast (sessions ended cleanly) or immediate (a crash: the next start recovers).
.PARAMETER Keep
    Only stop it: Start-TestPostgres.ps1 -Cluster starts it again, with its data.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Cluster,
    [ValidateSet('fast', 'immediate', 'smart')] [string] $Mode = 'fast',
    [switch] $Keep
)
$ErrorActionPreference = 'Stop'
$infoPath = Join-Path $Cluster 'cluster.json'
if (Test-Path -LiteralPath $infoPath) {
    $stop = @((Get-Content -LiteralPath $infoPath -Raw | ConvertFrom-Json).Stop | ForEach-Object { if ($_ -eq 'MODE') { $Mode } else { $_ } })
    # A server that is not running (stopped already, or never started) is not an error here.
    if (Test-Path -LiteralPath (Join-Path $Cluster 'data/postmaster.pid')) {
        $output = & $stop[0] @($stop | Select-Object -Skip 1) 2>&1
        if ($LASTEXITCODE -ne 0 -and (Test-Path -LiteralPath (Join-Path $Cluster 'data/postmaster.pid'))) { throw "Stopping the test PostgreSQL failed: $($output -join "`n")" }
    }
}
# .NET, not Remove-Item: as root, Remove-Item takes the postgres user's files for read-only.
if (-not $Keep -and (Test-Path -LiteralPath $Cluster)) { [IO.Directory]::Delete($Cluster, $true) }
