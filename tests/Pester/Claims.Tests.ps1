<#
    Several workers on one batch (issue 10), end to end: claims, leases, heartbeats, releases and
    fencing as scripts meet them. A worker is a PowerShell session: another process (a child pwsh),
    or another runspace of this process (New-ClaimSession), which the claim logic tells apart the
    same way (host/process id/session).
#>
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $ProgressPreference = 'SilentlyContinue'

    function New-ClaimSession {
        <# A runspace of this process with the module loaded: a worker of its own. #>
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $null = Invoke-InSession -Session $runspace -Script { param($Module) Import-Module $Module; $ProgressPreference = 'SilentlyContinue' } -Parameters @{ Module = $ModuleManifestPath }
        $runspace
    }

    function Invoke-InSession {
        <# Runs a script block (as text, with named parameters) in a session; throws on any error it writes. #>
        param(
            [Parameter(Mandatory)] [System.Management.Automation.Runspaces.Runspace] $Session,
            [Parameter(Mandatory)] [scriptblock] $Script,
            [hashtable] $Parameters = @{}
        )
        $ps = [powershell]::Create()
        try {
            $ps.Runspace = $Session
            $null = $ps.AddScript($Script.ToString()).AddParameters($Parameters)
            $out = $ps.Invoke()
            if ($ps.Streams.Error.Count -gt 0) { throw "The session wrote errors: $(@($ps.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }) -join '; ')" }
            $out
        }
        finally { $ps.Dispose() }
    }

    function Start-InSession {
        <# Starts a script block in a session without waiting; returns the PowerShell (Stop(), EndInvoke) and its handle. #>
        param(
            [Parameter(Mandatory)] [System.Management.Automation.Runspaces.Runspace] $Session,
            [Parameter(Mandatory)] [scriptblock] $Script,
            [hashtable] $Parameters = @{}
        )
        $ps = [powershell]::Create()
        $ps.Runspace = $Session
        $null = $ps.AddScript($Script.ToString()).AddParameters($Parameters)
        [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
    }

    function Get-Holders {
        <# Feature name -> who holds its claim (only claimed features), as Get-BatchState shows it. #>
        param([Parameter(Mandatory)] [string] $Directory)
        $holders = [ordered]@{}
        foreach ($f in (Get-BatchState -BatchId B -StateDirectory $Directory -ErrorAction Stop).Features) {
            if ($f.ClaimedBy) { $holders[$f.Feature] = $f.ClaimedBy }
        }
        $holders
    }

    function Get-Feature {
        param([Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [string] $Name)
        (Get-BatchState -BatchId B -StateDirectory $Directory -ErrorAction Stop).Features | Where-Object Feature -EQ $Name
    }

    function Start-ClaimWorker {
        <# A child pwsh on a script, its output read as it comes (so a full pipe never blocks it). #>
        param([Parameter(Mandatory)] [string] $ScriptPath, [string[]] $ArgumentList = @())
        $p = Start-TestPwsh -ScriptPath $ScriptPath -ArgumentList $ArgumentList -RedirectOutput
        [pscustomobject]@{ Process = $p; Id = $p.Id; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
    }

    function Stop-ClaimWorker {
        param($Worker)
        if ($Worker -and -not $Worker.Process.HasExited) { try { $Worker.Process.Kill($true) } catch { } ; $null = $Worker.Process.WaitForExit(10000) }
    }

    function Get-WorkerOutput {
        param([Parameter(Mandatory)] $Worker)
        "exit code $($Worker.Process.ExitCode); stdout: $($Worker.Out.GetAwaiter().GetResult()); stderr: $($Worker.Err.GetAwaiter().GetResult())"
    }

    function Suspend-OutsideLock {
        <#
        .SYNOPSIS
            SIGSTOPs a process at a moment it does not hold the batch lock (a heartbeat takes it for
            a few milliseconds): frozen with the lock, it would shut every other worker out, which is
            not what these tests are about.
        #>
        param([Parameter(Mandatory)] [int] $ProcessId, [Parameter(Mandatory)] [string] $LockPath)
        for ($i = 0; $i -lt 100; $i++) {
            & kill -s STOP $ProcessId
            Wait-Until -TimeoutSeconds 10 -What "every thread of pid $ProcessId to stop" -Condition {
                @(Get-ChildItem "/proc/$ProcessId/task" | Where-Object { (Get-ProcessState $_.Name) -ne 'T' }).Count -eq 0
            }
            & flock --nonblock $LockPath true
            if ($LASTEXITCODE -eq 0) { return }
            & kill -s CONT $ProcessId
            Start-Sleep -Milliseconds 30
        }
        throw "Could not stop pid $ProcessId outside the batch lock in 100 tries."
    }
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Overlapping workers split the work' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'three processes on one batch of 150 items: no item done twice, all 150 completed, each process did a share' {
        $null = New-BatchState -Name shared -Feature (1..150 | ForEach-Object { 'item{0:d3}' -f $_ }) -BatchId B -StateDirectory $d
        $script = Join-Path $work 'worker.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory, [string] $Log, [string] $Ready, [string] $Go)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$null = Get-BatchState -BatchId B -StateDirectory $StateDirectory
# Start together: report ready, then wait (bounded) for the parent's go.
[IO.File]::WriteAllText($Ready, "$PID")
$clock = [Diagnostics.Stopwatch]::StartNew()
while (-not (Test-Path -LiteralPath $Go)) {
    if ($clock.Elapsed.TotalSeconds -gt 60) { throw 'No go signal within 60 s.' }
    Start-Sleep -Milliseconds 5
}
# The README's resumable loop: log the item (the side effect that must not happen twice), then record it.
Resume-BatchState -BatchId B -StateDirectory $StateDirectory | ForEach-Object {
    [IO.File]::AppendAllText($Log, "$($_.Feature) $PID`n")
    Start-Sleep -Milliseconds 10
    $_ | Set-FeatureResult -Status Completed
}
'@
        $go = Join-Path $work 'go'
        $workers = foreach ($k in 1..3) {
            $log = Join-Path $work "log-$k"
            $ready = Join-Path $work "ready-$k"
            [pscustomobject]@{ Log = $log; Ready = $ready; Run = Start-ClaimWorker -ScriptPath $script -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-Log', $log, '-Ready', $ready, '-Go', $go) }
        }
        try {
            Wait-Until -TimeoutSeconds 90 -What 'all 3 workers to be ready' -Condition {
                foreach ($w in $workers) { if ($w.Run.Process.HasExited) { throw "A worker exited early: $(Get-WorkerOutput $w.Run)" } }
                @($workers | Where-Object { Test-Path -LiteralPath $_.Ready }).Count -eq 3
            }
            [IO.File]::WriteAllText($go, 'go')
            foreach ($w in $workers) { Wait-TestProcess -Process $w.Run.Process -TimeoutSeconds 120 -What 'worker' }
        }
        finally {
            foreach ($w in $workers) { Stop-ClaimWorker $w.Run }
        }

        foreach ($w in $workers) { $w.Run.Process.ExitCode | Should -Be 0 -Because (Get-WorkerOutput $w.Run) }
        $lines = foreach ($w in $workers) {
            foreach ($line in Read-LogLines $w.Log) {
                $name, $loggedBy = $line -split ' '
                [int]$loggedBy | Should -Be $w.Run.Id -Because 'each worker logs its own process id'
                $name
            }
        }
        $twice = @($lines | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name)
        $twice | Should -BeNullOrEmpty -Because 'no item may be handed out to two workers'
        @($lines).Count | Should -Be 150
        foreach ($w in $workers) { @(Read-LogLines $w.Log).Count | Should -BeGreaterThan 0 -Because "worker $($w.Run.Id) must do a share" }
        $b = Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop
        $b.Completed | Should -Be 150
        $b.InProgress | Should -Be 0
        @($b.Features | Where-Object { $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
    }
}

Describe 'A dead worker''s items come back' -Skip:(-not $IsLinux) {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $saved = Join-Path $work 'saved.clixml'
        $started = Join-Path $work 'started'
        # The worker saves the FeatureState it was handed (to replay its result later), says so, and works "forever".
        $script = Join-Path $work 'victim.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory, [string] $Saved, [string] $Started)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
Resume-BatchState -BatchId B -StateDirectory $StateDirectory | ForEach-Object {
    $_ | Export-Clixml -LiteralPath $Saved
    [IO.File]::WriteAllText($Started, $_.Feature)
    Start-Sleep -Seconds 300
    $_ | Set-FeatureResult -Status Completed
}
'@
        $arguments = @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-Saved', $saved, '-Started', $started)
        $victim = $null
    }
    AfterEach {
        if ($victim -and $victim.PSObject.Properties['Shell']) { Stop-UnreapedPwsh $victim } else { Stop-ClaimWorker $victim }
        Remove-TestStateDirectory $d
    }

    It 'SIGKILL mid-item, lease 3 s: another worker does the item once the lease ran out, and the late result is refused (ClaimLost)' {
        $null = New-BatchState -Name dead -Feature k1, k2, k3 -BatchId B -StateDirectory $d -LeaseSeconds 3
        $victim = Start-UnreapedPwsh -ScriptPath $script -ArgumentList $arguments
        Wait-Until -TimeoutSeconds 90 -What 'the worker to start its item' -Condition {
            if (Test-ProcessGone $victim.Id) { throw "The worker exited early: $(Get-Content -Raw $victim.Log)" }
            (Test-Path -LiteralPath $started) -and [IO.File]::ReadAllText($started) -eq 'k1'
        }
        (Get-Holders $d)['k1'] | Should -BeLike "*/$($victim.Id)/*"

        & kill -s KILL $victim.Id
        Wait-Until -TimeoutSeconds 10 -What 'the worker to die' -Condition { (Get-ProcessState $victim.Id) -eq 'Z' }
        # Its last heartbeat set how long its claim holds; nobody renews it now.
        $expires = (Get-Feature $d 'k1').LeaseExpiresAt
        $expires | Should -Not -BeNullOrEmpty

        # While the lease holds, another worker gets everything else but not k1.
        $lookedAt = [DateTime]::UtcNow
        $early = @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop)
        $lookedAt | Should -BeLessThan $expires -Because 'this look must come before the lease runs out'
        ($early.Feature | Sort-Object) -join ',' | Should -BeExactly 'k2,k3'
        $early | Set-FeatureResult -Status Completed -ErrorAction Stop

        # Once it ran out, the next Resume-BatchState hands k1 out again.
        $rescued = $null
        Wait-Until -TimeoutSeconds 30 -What 'k1 to be handed out again' -Condition {
            $script:rescued = @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop)
            $script:rescued.Count -gt 0
        }
        $rescued = $script:rescued
        $rescued.Feature | Should -BeExactly 'k1'
        $rescued[0].ClaimToken | Should -BeGreaterThan (Import-Clixml -LiteralPath $saved).ClaimToken -Because 'fencing tokens only grow'
        $claimedAt = $rescued[0].LeaseExpiresAt.AddSeconds(-3)
        $claimedAt | Should -BeGreaterOrEqual $expires -Because 'k1 must not be handed out before the lease of the killed worker ran out'

        # The killed worker's result, replayed from the FeatureState it saved, comes too late: refused, nothing written.
        $lost = $null
        Import-Clixml -LiteralPath $saved | Set-FeatureResult -Status Completed -ErrorVariable lost -ErrorAction SilentlyContinue
        $lost.Count | Should -Be 1
        $lost[0].FullyQualifiedErrorId | Should -BeLike 'ClaimLost*'
        $lost[0].Exception.Message | Should -BeLike "*'k1'*"
        $lost[0].Exception.Message | Should -BeLike "*$($rescued[0].ClaimedBy)*" -Because 'the error names the worker that holds the item now'
        (Get-Feature $d 'k1').Status | Should -Be 'Pending'

        $rescued | Set-FeatureResult -Status Completed -Data @{ by = 'rescuer' } -ErrorAction Stop
        Import-Clixml -LiteralPath $saved | Set-FeatureResult -Status Completed -Data @{ by = 'victim' } -ErrorVariable lost -ErrorAction SilentlyContinue
        $lost.Count | Should -Be 1
        $lost[0].FullyQualifiedErrorId | Should -BeLike 'ClaimLost*'

        # Nothing lost, nothing done twice.
        $b = Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop
        $b.Status | Should -Be 'Completed'
        @($b.Features | Where-Object { $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
        (Get-Feature $d 'k1').Data.by | Should -Be 'rescuer'
    }

    It 'SIGKILL of a worker whose process is gone (this machine): its claim is free at once, whatever the lease' {
        $null = New-BatchState -Name dead -Feature k1, k2 -BatchId B -StateDirectory $d -LeaseSeconds 600
        $victim = Start-ClaimWorker -ScriptPath $script -ArgumentList $arguments
        Wait-Until -TimeoutSeconds 90 -What 'the worker to start its item' -Condition {
            if ($victim.Process.HasExited) { throw "The worker exited early: $(Get-WorkerOutput $victim)" }
            (Test-Path -LiteralPath $started) -and [IO.File]::ReadAllText($started) -eq 'k1'
        }
        $victim.Process.Kill()   # SIGKILL
        $victim.Process.WaitForExit()
        Get-ProcessState $victim.Id | Should -BeNullOrEmpty -Because 'the killed worker was reaped: its process id is gone'
        # Nothing released the claim (the worker was killed) ...
        (Get-Holders $d)['k1'] | Should -BeLike "*/$($victim.Id)/*"
        (Get-Feature $d 'k1').LeaseExpiresAt | Should -BeGreaterThan ([DateTime]::UtcNow.AddSeconds(500))

        # ... yet its item is handed out again at once, 10 minutes before its lease runs out.
        $got = @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop)
        ($got.Feature | Sort-Object) -join ',' | Should -BeExactly 'k1,k2'
        $got | Set-FeatureResult -Status Completed -ErrorAction Stop
        Import-Clixml -LiteralPath $saved | Set-FeatureResult -Status Completed -ErrorVariable lost -ErrorAction SilentlyContinue
        $lost[0].FullyQualifiedErrorId | Should -BeLike 'ClaimLost*'
        (Get-BatchState -BatchId B -StateDirectory $d).Completed | Should -Be 2
    }
}

Describe 'Interrupted in the same session: back at once' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $null = New-BatchState -Name interrupted -Feature (1..12 | ForEach-Object { 'f{0:d2}' -f $_ }) -BatchId B -StateDirectory $d
        # Two workers of this process: A is interrupted and comes back, B is someone else.
        $A = New-ClaimSession
        $B = New-ClaimSession
        # Run in A: every item the pipeline emitted, and (when the interruption comes) what A holds.
        $recordSeen = {
            param($Directory, $Stop)
            $global:seen = [Collections.Generic.List[string]]::new()
            $global:heldThen = $null
            function Note-Item($item, [int] $at) {
                $global:seen.Add($item.Feature)
                if ($global:seen.Count -eq $at) {
                    $global:heldThen = @((Get-BatchState -BatchId B -StateDirectory $Directory).Features | Where-Object ClaimedBy -EQ $item.ClaimedBy | ForEach-Object Feature)
                    return $true
                }
                $false
            }
        }
        function Assert-BackAtOnce {
            param([string[]] $Emitted, [string[]] $HeldThen)
            # The run had claimed ahead of what it emitted: those were released when it ended ...
            $ahead = @($HeldThen | Where-Object { $_ -notin $Emitted })
            $ahead.Count | Should -BeGreaterThan 0 -Because 'the run claims a few items ahead (else the release is not tested)'
            $holders = Get-Holders $d
            foreach ($f in $ahead) { $holders.Contains($f) | Should -BeFalse -Because "'$f' was claimed ahead and never emitted: released when the pipeline ended" }
            foreach ($f in $Emitted) { $holders[$f] | Should -Not -BeNullOrEmpty -Because "'$f' was emitted and never recorded: still claimed" }

            # ... so another session gets them (and everything else) at once, but not what A emitted.
            $other = @(Invoke-InSession $B -Script { param($Directory) Resume-BatchState -BatchId B -StateDirectory $Directory } -Parameters @{ Directory = $d })
            foreach ($f in $Emitted) { $other.Feature | Should -Not -Contain $f -Because "'$f' is claimed by the interrupted session while its lease holds" }
            foreach ($f in $ahead) { $other.Feature | Should -Contain $f -Because "'$f' was released" }
            $other.Count | Should -Be (12 - $Emitted.Count)

            # The interrupted session's next run gets back at once what it emitted and never recorded.
            $again = @(Invoke-InSession $A -Script { param($Directory) Resume-BatchState -BatchId B -StateDirectory $Directory } -Parameters @{ Directory = $d })
            ($again.Feature | Sort-Object) -join ',' | Should -BeExactly (($Emitted | Sort-Object) -join ',')

            # Their claims are good: both sessions record, and every item is done once.
            $null = Invoke-InSession $A -Script { param($items) $items | Set-FeatureResult -Status Completed } -Parameters @{ items = $again }
            $null = Invoke-InSession $B -Script { param($items) $items | Set-FeatureResult -Status Completed } -Parameters @{ items = $other }
            $b = Get-BatchState -BatchId B -StateDirectory $d
            $b.Completed | Should -Be 12
            @($b.Features | Where-Object { $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
        }
    }
    AfterEach {
        foreach ($s in $A, $B) { if ($s) { $s.Dispose() } }
        Remove-TestStateDirectory $d
    }

    It 'after Select-Object -First 2' {
        $null = Invoke-InSession $A -Script ([scriptblock]::Create($recordSeen.ToString() + @'

Resume-BatchState -BatchId B -StateDirectory $Directory | ForEach-Object { $null = Note-Item $_ 2; $_ } | Select-Object -First 2
'@)) -Parameters @{ Directory = $d }
        $emitted = @(Invoke-InSession $A -Script { $global:seen })
        $heldThen = @(Invoke-InSession $A -Script { $global:heldThen })
        $emitted.Count | Should -Be 2
        Assert-BackAtOnce -Emitted $emitted -HeldThen $heldThen
    }

    It 'after a terminating error in the pipeline' {
        $thrown = $null
        try {
            $null = Invoke-InSession $A -Script ([scriptblock]::Create($recordSeen.ToString() + @'

Resume-BatchState -BatchId B -StateDirectory $Directory | ForEach-Object { if (Note-Item $_ 4) { throw 'the fourth item broke' } }
'@)) -Parameters @{ Directory = $d }
        }
        catch { $thrown = $_ }
        "$thrown" | Should -BeLike '*the fourth item broke*'
        $emitted = @(Invoke-InSession $A -Script { $global:seen })
        $heldThen = @(Invoke-InSession $A -Script { $global:heldThen })
        $emitted.Count | Should -Be 4
        Assert-BackAtOnce -Emitted $emitted -HeldThen $heldThen
    }

    It 'after StopProcessing (Ctrl+C)' {
        $signal = Join-Path $work 'busy'
        $run = Start-InSession $A -Script ([scriptblock]::Create($recordSeen.ToString() + @'

Resume-BatchState -BatchId B -StateDirectory $Directory | ForEach-Object {
    if (Note-Item $_ 4) { [IO.File]::WriteAllText($Stop, 'busy'); Start-Sleep -Seconds 120 }
}
'@)) -Parameters @{ Directory = $d; Stop = $signal }
        try {
            Wait-Until -TimeoutSeconds 30 -What 'the fourth item to be under way' -Condition {
                if ($run.Handle.IsCompleted) { throw "The pipeline ended early: $($run.PowerShell.Streams.Error)" }
                Test-Path -LiteralPath $signal
            }
            # What Ctrl+C does: stop the running pipeline (each command's StopProcessing).
            $run.PowerShell.Stop()
            $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $run.PowerShell.Dispose() }
        $emitted = @(Invoke-InSession $A -Script { $global:seen })
        $heldThen = @(Invoke-InSession $A -Script { $global:heldThen })
        $emitted.Count | Should -Be 4
        Assert-BackAtOnce -Emitted $emitted -HeldThen $heldThen
    }
}

Describe 'A process that exits lets its claims go' -Skip:(-not $IsLinux) {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $child = $null
    }
    AfterEach {
        Stop-UnreapedPwsh $child
        Remove-TestStateDirectory $d
    }

    It 'takes items ($todo = @(Resume-BatchState ...)), exits without recording: another process gets them right after, lease 60 s' {
        $null = New-BatchState -Name exits -Feature e1, e2, e3, e4, e5 -BatchId B -StateDirectory $d -LeaseSeconds 60
        $script = Join-Path $work 'taker.ps1'
        $taken = Join-Path $work 'taken'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory, [string] $Taken)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$todo = @(Resume-BatchState -BatchId B -StateDirectory $StateDirectory)
[IO.File]::WriteAllText($Taken, ($todo.Feature -join ','))
# ... and the script ends here without recording anything.
'@
        # A zombie keeps its process id: only the release at exit can free its claims at once.
        $child = Start-UnreapedPwsh -ScriptPath $script -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-Taken', $taken)
        Wait-Until -TimeoutSeconds 90 -What 'the child to exit' -Condition { Test-ProcessGone $child.Id }
        Get-ProcessState $child.Id | Should -Be 'Z' -Because 'the exited child keeps its process id, so it may look alive'
        [IO.File]::ReadAllText($taken) | Should -BeExactly 'e1,e2,e3,e4,e5' -Because (Get-Content -Raw $child.Log)

        (Get-BatchState -BatchId B -StateDirectory $d).InProgress | Should -Be 0
        (Get-Holders $d).Count | Should -Be 0 -Because 'the exiting process released its claims'
        $got = @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop)
        ($got.Feature | Sort-Object) -join ',' | Should -BeExactly 'e1,e2,e3,e4,e5'
    }
}

Describe 'Downstream keeps its claims until each result is recorded' {
    BeforeAll {
        # Another process polls Resume-BatchState on the batch named in $control ('stop' ends it),
        # logging each poll: "<state directory>|<features it got>|<errors>".
        $pollerWork = Split-Path -Parent (New-TestStateDirectory)
        $control = Join-Path $pollerWork 'control'
        $pollLog = Join-Path $pollerWork 'polls'
        $pollerScript = Join-Path $pollerWork 'poller.ps1'
        Set-Content -LiteralPath $pollerScript -Encoding utf8 -Value @'
param([string] $Module, [string] $Control, [string] $Log, [string] $Ready)
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
[IO.File]::WriteAllText($Ready, "$PID")
$clock = [Diagnostics.Stopwatch]::StartNew()
while ($clock.Elapsed.TotalMinutes -lt 10) {
    $target = if (Test-Path -LiteralPath $Control) { [IO.File]::ReadAllText($Control) } else { '' }
    if ($target -eq 'stop') { break }
    if ($target) {
        $failed = $null
        $got = @(Resume-BatchState -BatchId B -StateDirectory $target -ErrorVariable failed -ErrorAction SilentlyContinue 6>$null)
        [IO.File]::AppendAllText($Log, "$target|$(@($got.Feature) -join ',')|$(@($failed) -join ';')`n")
    }
    Start-Sleep -Milliseconds 100
}
'@
        $pollerReady = Join-Path $pollerWork 'ready'
        $poller = Start-ClaimWorker -ScriptPath $pollerScript -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-Control', $control, '-Log', $pollLog, '-Ready', $pollerReady)
        Wait-Until -TimeoutSeconds 90 -What 'the poller to be ready' -Condition {
            if ($poller.Process.HasExited) { throw "The poller exited early: $(Get-WorkerOutput $poller)" }
            Test-Path -LiteralPath $pollerReady
        }
        function Set-PollTarget {
            param([string] $Target)
            $next = "$control.next"
            [IO.File]::WriteAllText($next, $Target)
            Move-Item -LiteralPath $next -Destination $control -Force   # at once: never half a path
        }
        function Get-Polls {
            param([string] $Directory)
            @(Read-LogLines $pollLog | Where-Object { $_.StartsWith("$Directory|") } | ForEach-Object {
                    $null, $got, $errors = $_ -split '\|'
                    [pscustomobject]@{ Got = $got; Errors = $errors }
                })
        }
    }
    AfterAll {
        Set-PollTarget 'stop'
        if (-not $poller.Process.WaitForExit(20000)) { Stop-ClaimWorker $poller }
        Remove-TestStateDirectory (Join-Path $pollerWork 'state')
    }
    BeforeEach {
        $d = New-TestStateDirectory
        $A = New-ClaimSession
    }
    AfterEach {
        Set-PollTarget ''
        if ($A) { $A.Dispose() }
        Remove-TestStateDirectory $d
    }

    It 'Resume-BatchState | ForEach-Object -Parallel: every item stays claimed while it runs (3 leases long)' {
        $null = New-BatchState -Name parallel -Feature p1, p2, p3, p4, p5, p6 -BatchId B -StateDirectory $d
        $run = Start-InSession $A -Script {
            param($Directory, $Module)
            # A 2 s lease (renewed every ~0.7 s): 1 s let a renewal fall behind on a loaded machine.
            Resume-BatchState -BatchId B -StateDirectory $Directory -LeaseSeconds 2 | ForEach-Object -ThrottleLimit 3 -Parallel {
                Import-Module $using:Module
                Start-Sleep -Milliseconds 6000
                $_ | Set-FeatureResult -Status Completed -ErrorAction Stop
            }
        } -Parameters @{ Directory = $d; Module = $ModuleManifestPath }
        try {
            Wait-Until -TimeoutSeconds 30 -What 'all six items to be claimed' -Condition { (Get-Holders $d).Count -eq 6 }
            Set-PollTarget $d
            $null = $run.PowerShell.EndInvoke($run.Handle)
            $run.PowerShell.Streams.Error | Should -BeNullOrEmpty
        }
        finally { $run.PowerShell.Dispose() }
        Set-PollTarget ''

        $polls = Get-Polls $d
        $polls.Count | Should -BeGreaterOrEqual 5 -Because 'the other process must have looked while the items ran'
        @($polls | Where-Object Errors) | Should -BeNullOrEmpty
        @($polls | Where-Object Got) | Should -BeNullOrEmpty -Because 'the other process must get none of the items while they run'
        $b = Get-BatchState -BatchId B -StateDirectory $d
        $b.Completed | Should -Be 6
        @($b.Features | Where-Object { $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
    }

    It '$todo = @(Resume-BatchState ...) processed later in the session: the items stay claimed until recorded' {
        $null = New-BatchState -Name later -Feature t1, t2, t3, t4 -BatchId B -StateDirectory $d
        $todo = @(Invoke-InSession $A -Script { param($Directory) $global:todo = @(Resume-BatchState -BatchId B -StateDirectory $Directory -LeaseSeconds 1); $global:todo } -Parameters @{ Directory = $d })
        $todo.Count | Should -Be 4
        Set-PollTarget $d
        # Three leases later, one by one.
        $null = Invoke-InSession $A -Script {
            Start-Sleep -Seconds 3
            foreach ($item in $global:todo) { $item | Set-FeatureResult -Status Completed; Start-Sleep -Milliseconds 200 }
        }
        Set-PollTarget ''

        $polls = Get-Polls $d
        $polls.Count | Should -BeGreaterOrEqual 5 -Because 'the other process must have looked while the items waited'
        @($polls | Where-Object Errors) | Should -BeNullOrEmpty
        @($polls | Where-Object Got) | Should -BeNullOrEmpty -Because 'the other process must get none of the items'
        $b = Get-BatchState -BatchId B -StateDirectory $d
        $b.Completed | Should -Be 4
        @($b.Features | Where-Object { $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
    }
}

Describe 'Heartbeat' -Skip:(-not $IsLinux) {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $started = Join-Path $work 'started'
        $go = Join-Path $work 'go'
        $outcome = Join-Path $work 'outcome'
        # A worker that takes one item, says so, works until $Go exists (or for -Seconds), records, and says how that went.
        $script = Join-Path $work 'long.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory, [string] $Started, [string] $Go, [double] $Seconds, [string] $Outcome)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
Resume-BatchState -BatchId B -StateDirectory $StateDirectory | Select-Object -First 1 | ForEach-Object {
    [IO.File]::WriteAllText($Started, $_.Feature)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while ($clock.Elapsed.TotalSeconds -lt $Seconds -or ($Go -and -not (Test-Path -LiteralPath $Go))) { Start-Sleep -Milliseconds 20 }
    $lost = $null
    $_ | Set-FeatureResult -Status Completed -Data @{ by = 'long' } -ErrorVariable lost -ErrorAction SilentlyContinue
    [IO.File]::WriteAllText($Outcome, $(if ($lost) { $lost[0].FullyQualifiedErrorId } else { 'accepted' }))
}
'@
        $worker = $null
    }
    AfterEach {
        if ($worker) { & kill -s CONT $worker.Id 2>$null }
        Stop-ClaimWorker $worker
        Remove-TestStateDirectory $d
    }

    It 'an item that runs 3x the lease (2 s, item 6 s) keeps its claim, and its result is accepted' {
        $null = New-BatchState -Name long -Feature h1, h2 -BatchId B -StateDirectory $d -LeaseSeconds 2
        $worker = Start-ClaimWorker -ScriptPath $script -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-Started', $started, '-Go', '', '-Seconds', '6', '-Outcome', $outcome)
        Wait-Until -TimeoutSeconds 90 -What 'the item to start' -Condition {
            if ($worker.Process.HasExited) { throw "The worker exited early: $(Get-WorkerOutput $worker)" }
            Test-Path -LiteralPath $started
        }
        [IO.File]::ReadAllText($started) | Should -BeExactly 'h1'
        $firstLease = (Get-Feature $d 'h1').LeaseExpiresAt

        # This process looks again and again while the item runs: it gets h2 at once, never h1.
        $got = [Collections.Generic.List[string]]::new()
        $script:looks = 0
        $script:lastLease = $firstLease
        Wait-Until -TimeoutSeconds 60 -What 'the long item to end' -Condition {
            if ($worker.Process.HasExited -and -not (Test-Path -LiteralPath $outcome)) { throw "The worker exited early: $(Get-WorkerOutput $worker)" }
            foreach ($f in @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop)) { $got.Add($f.Feature); $f | Set-FeatureResult -Status Completed -ErrorAction Stop }
            $script:looks++
            $h1 = Get-Feature $d 'h1'
            if ($h1.LeaseExpiresAt) { $script:lastLease = $h1.LeaseExpiresAt }
            Test-Path -LiteralPath $outcome
        }
        Wait-TestProcess -Process $worker.Process -TimeoutSeconds 30 -What 'long worker'
        $worker.Process.ExitCode | Should -Be 0 -Because (Get-WorkerOutput $worker)

        $script:looks | Should -BeGreaterOrEqual 10
        $got -join ',' | Should -BeExactly 'h2' -Because 'h1 stays claimed by the worker as long as it runs'
        ($script:lastLease - $firstLease).TotalSeconds | Should -BeGreaterOrEqual 3 -Because 'the heartbeat moved the lease on'
        [IO.File]::ReadAllText($outcome) | Should -BeExactly 'accepted'
        $h1 = Get-Feature $d 'h1'
        $h1.Status | Should -Be 'Completed'
        $h1.Data.by | Should -Be 'long'
    }

    It 'a process suspended (SIGSTOP) past its lease loses the item to another worker; its result after SIGCONT is refused (ClaimLost)' {
        $null = New-BatchState -Name frozen -Feature s1 -BatchId B -StateDirectory $d -LeaseSeconds 2
        $worker = Start-ClaimWorker -ScriptPath $script -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-Started', $started, '-Go', $go, '-Seconds', '0', '-Outcome', $outcome)
        Wait-Until -TimeoutSeconds 90 -What 'the item to start' -Condition {
            if ($worker.Process.HasExited) { throw "The worker exited early: $(Get-WorkerOutput $worker)" }
            Test-Path -LiteralPath $started
        }
        Suspend-OutsideLock -ProcessId $worker.Id -LockPath (Join-Path $d 'B.lock')
        $expires = (Get-Feature $d 's1').LeaseExpiresAt

        # Frozen, the process still exists: its lease decides. Before it runs out, nothing; after, the item.
        $lookedAt = [DateTime]::UtcNow
        @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop) | Should -BeNullOrEmpty
        $lookedAt | Should -BeLessThan $expires -Because 'this look must come before the lease runs out'
        Wait-Until -TimeoutSeconds 30 -What 's1 to be handed out again' -Condition {
            $script:taken = @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop)
            $script:taken.Count -gt 0
        }
        $taken = $script:taken
        $taken.Feature | Should -BeExactly 's1'
        $taken[0].LeaseExpiresAt.AddSeconds(-2) | Should -BeGreaterOrEqual $expires

        # Thawed, the worker finishes its item and records it: too late.
        [IO.File]::WriteAllText($go, 'go')
        & kill -s CONT $worker.Id
        Wait-TestProcess -Process $worker.Process -TimeoutSeconds 60 -What 'thawed worker'
        $worker.Process.ExitCode | Should -Be 0 -Because (Get-WorkerOutput $worker)
        [IO.File]::ReadAllText($outcome) | Should -BeLike 'ClaimLost*'
        (Get-Feature $d 's1').Status | Should -Be 'Pending'
        (Get-Holders $d)['s1'] | Should -BeExactly $taken[0].ClaimedBy -Because 'the new holder keeps the item'

        $taken | Set-FeatureResult -Status Completed -Data @{ by = 'rescuer' } -ErrorAction Stop
        $s1 = Get-Feature $d 's1'
        $s1.Status | Should -Be 'Completed'
        $s1.Attempts | Should -Be 1
        $s1.Data.by | Should -Be 'rescuer'
    }
}

Describe 'What is claimed, by whom, until when' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $null = New-BatchState -Name visible -Feature w1, w2, w3, w4 -BatchId B -StateDirectory $d
        $H = New-ClaimSession
    }
    AfterEach {
        if ($H) { $H.Dispose() }
        Remove-TestStateDirectory $d
    }

    It '-WhatIf says what it would hand out and what is held by whom until when, claiming nothing; -NoClaim lists without claiming; Get-BatchState shows InProgress' {
        $held = @(Invoke-InSession $H -Script { param($Directory) Resume-BatchState -BatchId B -StateDirectory $Directory | Select-Object -First 2 } -Parameters @{ Directory = $d })
        $held.Feature -join ',' | Should -BeExactly 'w1,w2'
        $holder = $held[0].ClaimedBy
        $holder | Should -BeLike "$([Environment]::MachineName)/$PID/*"
        $until = $held[0].LeaseExpiresAt
        # And a worker of this machine whose process is gone took w3: on paper its claim holds for a
        # minute, but Resume-BatchState hands it out at once, so it is neither in progress nor "held".
        # (A process that claims w3 and dies at once, releasing nothing.)
        $dies = Join-Path $work 'dies.ps1'
        Set-Content -LiteralPath $dies -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$f = Resume-BatchState -BatchId B -StateDirectory $StateDirectory 6>$null | Select-Object -First 1
"GONE $($f.Feature) $($f.ClaimedBy)"
[Console]::Out.Flush()
[Environment]::FailFast('gone without releasing its claims')
'@
        $died = Invoke-TestPwsh -ScriptPath $dies -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d)
        $died.StdOut -match 'GONE w3 (\S+)' | Should -BeTrue -Because $died.StdOut
        $gone = $Matches[1]
        $gone | Should -BeLike "$([Environment]::MachineName)/*"
        (Get-BatchState -BatchId B -StateDirectory $d).InProgress | Should -Be 2

        # Another process looks.
        $script = Join-Path $work 'look.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
function Holders { (@((Get-BatchState -BatchId B -StateDirectory $StateDirectory).Features | Where-Object ClaimedBy | ForEach-Object { "$($_.Feature)=$($_.ClaimedBy)" })) -join ';' }
Resume-BatchState -BatchId B -StateDirectory $StateDirectory -WhatIf
"HOLDERS-AFTER-WHATIF $(Holders)"
$listed = @(Resume-BatchState -BatchId B -StateDirectory $StateDirectory -NoClaim 6>$null)
"NOCLAIM $($listed.Feature -join ',') TOKENS $(@($listed | Where-Object { $null -ne $_.ClaimToken }).Count)"
"HOLDERS-AFTER-NOCLAIM $(Holders)"
"INPROGRESS $((Get-BatchState -BatchId B -StateDirectory $StateDirectory).InProgress)"
'@
        $run = Invoke-TestPwsh -ScriptPath $script -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d)
        $run.ExitCode | Should -Be 0 -Because $run.StdErr
        $text = $run.StdOut -replace '\s+', ' '
        foreach ($f in 'w1', 'w2') {
            $text -match ("What if: '$f' is held by " + [regex]::Escape($holder) + ' until (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)Z') | Should -BeTrue -Because $text
            # The heartbeat may have moved the lease on since H took it.
            $shown = [DateTime]::ParseExact($Matches[1], 'yyyy-MM-dd HH:mm:ss', [Globalization.CultureInfo]::InvariantCulture)
            ($shown - $until).TotalSeconds | Should -BeGreaterOrEqual -1
            ($shown - $until).TotalSeconds | Should -BeLessThan 120
        }
        $text | Should -BeLike "*What if: Resume-BatchState would hand out 'w3'*"
        $text | Should -BeLike "*What if: Resume-BatchState would hand out 'w4'*"
        $text | Should -Not -BeLike "*would hand out 'w1'*"
        $text | Should -Not -BeLike "*would hand out 'w2'*"
        $text | Should -Not -BeLike "*'w3' is held*"
        # Neither -WhatIf nor -NoClaim claimed anything: the holders are still H (and the gone worker).
        $holders = "w1=$holder;w2=$holder;w3=$gone"
        $text | Should -BeLike "*HOLDERS-AFTER-WHATIF $holders *"
        $text | Should -BeLike "*NOCLAIM w1,w2,w3,w4 TOKENS 0 *"
        $text | Should -BeLike "*HOLDERS-AFTER-NOCLAIM $holders *"
        $text | Should -BeLike '*INPROGRESS 2*'

        # And what -WhatIf said would be handed out, is.
        $got = @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop)
        ($got.Feature | Sort-Object) -join ',' | Should -BeExactly 'w3,w4'
        (Get-BatchState -BatchId B -StateDirectory $d).InProgress | Should -Be 4
        $got | Set-FeatureResult -Status Completed -ErrorAction Stop
        $held | Set-FeatureResult -Status Completed -ErrorAction Stop
        $b = Get-BatchState -BatchId B -StateDirectory $d
        $b.InProgress | Should -Be 0
        $b.Completed | Should -Be 4
    }
}
