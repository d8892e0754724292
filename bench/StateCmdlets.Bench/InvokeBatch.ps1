#Requires -Version 7.0
# Child process of the benchmark: imports the staged module, warms up, then times, in rounds:
#  - Invoke-Batch over -Items items whose block sleeps -WorkMs, at -ThrottleLimit (the whole call:
#    batch made, runspaces started, every result recorded durably), against the ideal Items x WorkMs / Throttle,
#    and ForEach-Object -Parallel over the same items beside it;
#  - Invoke-Batch and ForEach-Object -Parallel over -EmptyItems items with an empty block, at the
#    same throttle limit, alternating, so both see the same machine: their per-item cost.
# Prints one JSON line.
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $StateDirectory,
    [int] $Items = 200,
    [int] $WorkMs = 50,
    [int] $ThrottleLimit = 8,
    [int] $EmptyItems = 400,
    [int] $Rounds = 3
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModuleManifest

function Measure-Milliseconds([scriptblock] $Block) {
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    & $Block | Out-Null
    $clock.Elapsed.TotalMilliseconds
}

function Assert-Completed([string] $Name, [int] $Count) {
    $done = (Get-BatchState -Name $Name -StateDirectory $StateDirectory).Completed
    if ($done -ne $Count) { throw "Batch '$Name' completed $done of $Count items." }
}

# Warm-up: JIT, the module's first use in a runspace, the first runspaces of each kind.
$warm = 1..(2 * $ThrottleLimit) | ForEach-Object { "warm-$_" }
$null = Measure-Milliseconds { $warm | Invoke-Batch -Name warm -StateDirectory $StateDirectory -ThrottleLimit $ThrottleLimit { Start-Sleep -Milliseconds 1 } }
$null = Measure-Milliseconds { $warm | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel { Start-Sleep -Milliseconds 1 } }

# The same sleeping items under ForEach-Object -Parallel, alternating: how far this machine (its
# load) keeps even a runner with no durable state from the ideal.
$sleeping = [System.Collections.Generic.List[double]]::new()
$parallelSleeping = [System.Collections.Generic.List[double]]::new()
foreach ($round in 1..$Rounds) {
    $names = 1..$Items | ForEach-Object { "sleep-$round-$_" }
    $sleeping.Add((Measure-Milliseconds { $names | Invoke-Batch -Name "sleep-$round" -StateDirectory $StateDirectory -ThrottleLimit $ThrottleLimit { Start-Sleep -Milliseconds $using:WorkMs } }))
    Assert-Completed "sleep-$round" $Items
    $parallelSleeping.Add((Measure-Milliseconds { $names | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel { Start-Sleep -Milliseconds $using:WorkMs } }))
}

$invokeBatch = [System.Collections.Generic.List[double]]::new()
$parallel = [System.Collections.Generic.List[double]]::new()
foreach ($round in 1..$Rounds) {
    $names = 1..$EmptyItems | ForEach-Object { "empty-$round-$_" }
    $invokeBatch.Add((Measure-Milliseconds { $names | Invoke-Batch -Name "empty-$round" -StateDirectory $StateDirectory -ThrottleLimit $ThrottleLimit { } }))
    Assert-Completed "empty-$round" $EmptyItems
    $parallel.Add((Measure-Milliseconds { $names | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel { } }))
}

[ordered]@{
    items         = $Items
    workMs        = $WorkMs
    throttleLimit = $ThrottleLimit
    sleepingMs    = @($sleeping)
    parallelSleepingMs = @($parallelSleeping)
    emptyItems    = $EmptyItems
    invokeBatchMs = @($invokeBatch)
    parallelMs    = @($parallel)
} | ConvertTo-Json -Compress
