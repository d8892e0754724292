#Requires -Version 7.0
# Child process of the benchmark: imports the staged module, creates a batch of -Count features
# and times the pipeline a script runs, Resume-BatchState | Set-FeatureResult, over all of them.
# Prints one JSON line: elapsed ms, wchar delta (bytes handed to write syscalls), features completed.
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $StateDirectory,
    [Parameter(Mandatory)] [string] $BatchId,
    [Parameter(Mandatory)] [int] $Count
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module $ModuleManifest

function Get-WrittenBytes {
    $line = [System.IO.File]::ReadAllLines('/proc/self/io') | Where-Object { $_ -like 'wchar:*' }
    if (-not $line) { return $null }
    [long]($line -replace '^wchar:\s*', '')
}

function New-Batch([string] $Id, [int] $Size) {
    $names = [string[]]::new($Size)
    for ($i = 0; $i -lt $Size; $i++) { $names[$i] = 'feature-{0:D6}' -f $i }
    New-BatchState -Name bench -Feature $names -BatchId $Id -StateDirectory $StateDirectory | Out-Null
}

# Warm-up on a small batch first, so the timing is the steady state a long script sees, not JIT.
New-Batch "$BatchId-warmup" 20
Resume-BatchState -BatchId "$BatchId-warmup" -StateDirectory $StateDirectory | Set-FeatureResult -Status Completed

New-Batch $BatchId $Count
$before = Get-WrittenBytes
$clock = [System.Diagnostics.Stopwatch]::StartNew()
Resume-BatchState -BatchId $BatchId -StateDirectory $StateDirectory | Set-FeatureResult -Status Completed
$clock.Stop()
$after = Get-WrittenBytes

$completed = (Get-BatchState -BatchId $BatchId -StateDirectory $StateDirectory).Completed
[ordered]@{
    elapsedMs = $clock.Elapsed.TotalMilliseconds
    written   = if ($null -ne $before -and $null -ne $after) { $after - $before } else { $null }
    completed = $completed
} | ConvertTo-Json -Compress
