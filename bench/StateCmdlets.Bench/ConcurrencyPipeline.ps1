#Requires -Version 7.0
# Child process of the benchmark: the cmdlet pipeline with one writer and with eight runspaces.
# Imports the staged module, then in each of -Rounds rounds times every mode once, each on a fresh
# batch. The pairs being compared run next to each other, in turn first and second (odd rounds
# A B, even rounds B A), so what the mode before leaves behind (a runspace pool being torn down,
# the runtime recompiling hot code) does not always fall on the same one:
#   sequential      Resume-BatchState X | Set-FeatureResult -Status Completed          (-Count features)
#   noclaim         Resume-BatchState X -NoClaim | Set-FeatureResult -Status Completed (-Count)
#   parallel        Resume-BatchState X | ForEach-Object -Parallel { $_ | Set-FeatureResult -Status Completed } -ThrottleLimit N (-Count)
#   emptyParallel   the same FeatureState objects through the same ForEach-Object -Parallel, with a
#                   block that records nothing: what ForEach-Object -Parallel itself costs (-Count)
#   sequentialWork  sequential, each item first sleeping -WorkMs (an item that waits on something) (-WorkCount)
#   parallelWork    parallel, each item first sleeping -WorkMs (-WorkCount)
# A runspace of -Parallel starts without the module: the block imports it once per runspace.
# Prints one JSON line: per mode, elapsed ms, CPU ms (this process) and wchar delta summed over the
# rounds, and features completed.
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $StateDirectory,
    [Parameter(Mandatory)] [int] $Count,
    [Parameter(Mandatory)] [int] $WarmUpCount,
    [Parameter(Mandatory)] [int] $WorkCount,
    [Parameter(Mandatory)] [int] $WorkMs,
    [Parameter(Mandatory)] [int] $Rounds,
    [Parameter(Mandatory)] [int] $ThrottleLimit
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

function Invoke-Mode([string] $Mode, [string] $Id) {
    switch ($Mode) {
        'sequential' {
            Resume-BatchState -BatchId $Id -StateDirectory $StateDirectory | Set-FeatureResult -Status Completed
        }
        'noclaim' {
            Resume-BatchState -BatchId $Id -StateDirectory $StateDirectory -NoClaim | Set-FeatureResult -Status Completed
        }
        'parallel' {
            Resume-BatchState -BatchId $Id -StateDirectory $StateDirectory | ForEach-Object -Parallel {
                if (-not (Get-Module StateCmdlets)) { Import-Module $using:ModuleManifest }
                $_ | Set-FeatureResult -Status Completed
            } -ThrottleLimit $ThrottleLimit
        }
        'emptyParallel' {
            $script:items | ForEach-Object -Parallel {
                if (-not (Get-Module StateCmdlets)) { Import-Module $using:ModuleManifest }
                $null = $_
            } -ThrottleLimit $ThrottleLimit
        }
        'sequentialWork' {
            Resume-BatchState -BatchId $Id -StateDirectory $StateDirectory | ForEach-Object {
                Start-Sleep -Milliseconds $WorkMs
                $_ | Set-FeatureResult -Status Completed
            }
        }
        'parallelWork' {
            Resume-BatchState -BatchId $Id -StateDirectory $StateDirectory | ForEach-Object -Parallel {
                if (-not (Get-Module StateCmdlets)) { Import-Module $using:ModuleManifest }
                Start-Sleep -Milliseconds $using:WorkMs
                $_ | Set-FeatureResult -Status Completed
            } -ThrottleLimit $ThrottleLimit
        }
    }
}

$modes = 'sequential', 'noclaim', 'parallel', 'emptyParallel', 'sequentialWork', 'parallelWork'
$swapped = 'noclaim', 'sequential', 'emptyParallel', 'parallel', 'parallelWork', 'sequentialWork'
$totals = [ordered]@{}
foreach ($mode in $modes) { $totals[$mode] = [ordered]@{ elapsedMs = 0.0; cpuMs = 0.0; written = [long]0; completed = 0 } }
$bytesKnown = $null -ne (Get-WrittenBytes)
$self = [System.Diagnostics.Process]::GetCurrentProcess()
# sync(1) before each timed run, untimed, as the harness does between its slices.
$sync = Get-Command sync -CommandType Application -ErrorAction Ignore | Select-Object -First 1

# Warm-up of every mode, so the timing is the steady state a long script sees, not JIT (the runtime
# keeps recompiling hot code in the background for a while after start: a short warm-up left the
# first mode timed paying for it).
foreach ($mode in $modes) {
    New-Batch "warmup-$mode" $(if ($mode -like '*Work') { 20 } else { $WarmUpCount })
    $script:items = @(Resume-BatchState -BatchId "warmup-$mode" -StateDirectory $StateDirectory -NoClaim)
    Invoke-Mode $mode "warmup-$mode"
}

for ($round = 1; $round -le $Rounds; $round++) {
    foreach ($mode in $(if ($round % 2) { $modes } else { $swapped })) {
        $id = "$mode-$round"
        New-Batch $id $(if ($mode -like '*Work') { $WorkCount } else { $Count })
        $script:items = if ($mode -eq 'emptyParallel') { @(Resume-BatchState -BatchId $id -StateDirectory $StateDirectory -NoClaim) } else { $null }
        [System.GC]::Collect()
        [System.GC]::WaitForPendingFinalizers()
        if ($sync) { & $sync }
        $before = Get-WrittenBytes
        $self.Refresh()
        $cpu = $self.TotalProcessorTime
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        Invoke-Mode $mode $id
        $clock.Stop()
        $self.Refresh()
        $totals[$mode].cpuMs += ($self.TotalProcessorTime - $cpu).TotalMilliseconds
        $after = Get-WrittenBytes
        $totals[$mode].elapsedMs += $clock.Elapsed.TotalMilliseconds
        if ($bytesKnown) { $totals[$mode].written += $after - $before }
        $totals[$mode].completed += if ($mode -eq 'emptyParallel') { $script:items.Count } else { (Get-BatchState -BatchId $id -StateDirectory $StateDirectory).Completed }
        Remove-BatchState -BatchId $id -StateDirectory $StateDirectory -Confirm:$false
    }
}

if (-not $bytesKnown) { foreach ($mode in $modes) { $totals[$mode].written = $null } }
$totals | ConvertTo-Json -Compress
