#Requires -Version 7.0
# Child process of the benchmark: times Resume-BatchState on an existing batch (load, journal
# replay, emitting what is left) as a script's first line after a crash would run it.
# Prints one JSON line: elapsed ms and how many features were emitted.
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $StateDirectory,
    [Parameter(Mandatory)] [string] $BatchId
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module $ModuleManifest

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$remaining = @(Resume-BatchState -BatchId $BatchId -StateDirectory $StateDirectory).Count
$clock.Stop()
[ordered]@{ elapsedMs = $clock.Elapsed.TotalMilliseconds; remaining = $remaining } | ConvertTo-Json -Compress
