<#
    Invoke-Batch (issue 11), end to end: the one-liner run again and again, killed and run again,
    run by two processes at once; input keys, $using:, outputs, timeouts, retries, Ctrl+C, -WhatIf.
    Child processes only where a process is the point (SIGKILL, two processes): each costs seconds.
#>
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $ProgressPreference = 'SilentlyContinue'

    function Get-Batch {
        param([Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [string] $Id)
        Get-BatchState -BatchId $Id -StateDirectory $Directory -ErrorAction Stop
    }

    function Get-Feature {
        param([Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [string] $Id, [Parameter(Mandatory)] [string] $Name)
        (Get-Batch $Directory $Id).Features | Where-Object Feature -CEQ $Name
    }

    function New-RunCounter {
        <# Item -> how many times its block ran (blocks add to it through $using:, from any runspace). #>
        [System.Collections.Concurrent.ConcurrentDictionary[string, int]]::new()
    }

    function Start-InRunspace {
        <# Starts a script (text, named parameters) in a fresh runspace with the module; returns what Stop() and EndInvoke need. #>
        param([Parameter(Mandatory)] [string] $Script, [hashtable] $Parameters = @{})
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        $ps = [powershell]::Create()
        $ps.Runspace = $runspace
        $null = $ps.AddScript("param(`$Module) Import-Module `$Module; `$ProgressPreference = 'SilentlyContinue'").AddParameter('Module', $ModuleManifestPath)
        $null = $ps.Invoke()
        $ps.Commands.Clear()
        $null = $ps.AddScript($Script).AddParameters($Parameters)
        [pscustomobject]@{ PowerShell = $ps; Runspace = $runspace; Handle = $ps.BeginInvoke() }
    }

    function Stop-InRunspace {
        param($Run)
        if (-not $Run) { return }
        try { $Run.PowerShell.Dispose() } catch { }
        try { $Run.Runspace.Dispose() } catch { }
    }

    # The child script of the process tests: the one-liner, with a side effect that must not happen
    # twice (a line in a log) and a moment of work. Ready/go files let two children start together.
    $OneLinerScript = @'
param([string] $Module, [string] $StateDirectory, [string] $Items, [string] $Log, [int] $Throttle, [int] $WorkMs, [string] $Ready = '', [string] $Go = '')
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
if ($Ready) {
    [IO.File]::WriteAllText($Ready, "$PID")
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while (-not (Test-Path -LiteralPath $Go)) {
        if ($clock.Elapsed.TotalSeconds -gt 90) { throw 'No go signal within 90 s.' }
        Start-Sleep -Milliseconds 5
    }
}
Get-Content $Items | Invoke-Batch -Name one-liner -StateDirectory $StateDirectory -ThrottleLimit $Throttle {
    # Appends from several threads and processes at once lose lines (no O_APPEND): one at a time.
    $m = [Threading.Mutex]::new($false, 'StateCmdletsTestLog-' + (Split-Path -Leaf (Split-Path -Parent $using:Log)))
    $null = $m.WaitOne()
    try { [IO.File]::AppendAllText($using:Log, "$_ $PID`n") } finally { $m.ReleaseMutex(); $m.Dispose() }
    Start-Sleep -Milliseconds $using:WorkMs
}
'@
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'The one-liner, run again and again' {
    BeforeEach {
        $d = New-TestStateDirectory
        $runs = New-RunCounter
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'makes the batch on the first run; the next run does nothing done, only an item new in the input' {
        $out = 'srv1', 'srv2', 'srv3' | Invoke-Batch -Name patch-2026-11 -StateDirectory $d { $null = ($using:runs).AddOrUpdate($_, 1, { param($k, $v) $v + 1 }); "patched $_" }
        @($out) -join ',' | Should -BeExactly 'patched srv1,patched srv2,patched srv3'
        $b = Get-Batch $d patch-2026-11
        $b.Name | Should -BeExactly 'patch-2026-11'
        $b.Completed | Should -Be 3

        $again = 'srv1', 'srv2', 'srv3', 'srv4' | Invoke-Batch -Name patch-2026-11 -StateDirectory $d { $null = ($using:runs).AddOrUpdate($_, 1, { param($k, $v) $v + 1 }); "patched $_" }
        @($again) -join ',' | Should -BeExactly 'patched srv4'
        foreach ($name in 'srv1', 'srv2', 'srv3', 'srv4') { $runs[$name] | Should -Be 1 -Because "$name runs once over both runs" }
        $b = Get-Batch $d patch-2026-11
        $b.Total | Should -Be 4
        $b.Completed | Should -Be 4
        @($b.Features.Feature) -join ',' | Should -BeExactly 'srv1,srv2,srv3,srv4' -Because 'new items go at the end'
        @(Get-ChildItem -LiteralPath $d -Filter *.json).Count | Should -Be 1 -Because 'both runs use one batch'

        # A third run with no input at all resumes the batch and, all done, runs nothing.
        @(Invoke-Batch -Name patch-2026-11 -StateDirectory $d { 'ran' }).Count | Should -Be 0
    }

    It 'derives a stable id from a name that is no batch id' {
        'a' | Invoke-Batch -Name 'Patch November 2026' -StateDirectory $d { } | Out-Null
        $b = @(Get-BatchState -StateDirectory $d)
        $b.Count | Should -Be 1
        $b[0].BatchId | Should -Match '^Patch-November-2026-[0-9a-f]{8}$'
        $b[0].Name | Should -BeExactly 'Patch November 2026'
        'a', 'b' | Invoke-Batch -Name 'Patch November 2026' -StateDirectory $d { } | Out-Null
        @(Get-BatchState -StateDirectory $d).Count | Should -Be 1
        (Get-Batch $d $b[0].BatchId).Completed | Should -Be 2
    }

    It 'stores the New-BatchState settings when it makes the batch, and the batch''s own later' {
        'a' | Invoke-Batch -Name settings -StateDirectory $d -MaxAttempts 7 -MaxConsecutiveFailures 0 -LeaseSeconds 30 { } | Out-Null
        $b = Get-Batch $d settings
        $b.MaxAttempts | Should -Be 7
        'b' | Invoke-Batch -Name settings -StateDirectory $d -MaxAttempts 2 { } | Out-Null
        (Get-Batch $d settings).MaxAttempts | Should -Be 7 -Because 'settings are the batch''s, made once'
    }

    It 'ends with a summary on the information stream: done, failed, skipped, left, time' {
        'a', 'b' | Invoke-Batch -Name summary -StateDirectory $d -MaxAttempts 1 { if ($_ -eq 'b') { throw 'no' } } -InformationVariable info -ErrorAction SilentlyContinue | Out-Null
        $line = @($info | Where-Object Source -EQ 'Invoke-Batch')[-1].MessageData
        $line | Should -Match "Batch 'summary': 1 done, 1 failed, 0 skipped, 0 left of 2; this run completed 1 and failed 1 in [0-9.]+ s"
    }
}

Describe 'The batch found by its name' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'runs a batch New-BatchState made under that name, and adds new input to it' {
        $null = New-BatchState -Name 'Nightly export' -Feature orders, invoices -BatchId nightly -StateDirectory $d
        $null = Set-FeatureResult -BatchId nightly -Feature orders -Status Completed -StateDirectory $d
        $out = 'orders', 'invoices', 'refunds' | Invoke-Batch -Name 'Nightly export' -StateDirectory $d { "exported $_" }
        @($out) -join ',' | Should -BeExactly 'exported invoices,exported refunds'
        @(Get-BatchState -StateDirectory $d).BatchId -join ',' | Should -BeExactly 'nightly'
        $b = Get-Batch $d nightly
        $b.Total | Should -Be 3
        $b.Completed | Should -Be 3
    }

    It 'refuses a name whose id another batch has (BatchNameConflict), and a name two batches share (AmbiguousBatchName)' {
        $null = New-BatchState -Name 'something else' -Feature a -BatchId deploy -StateDirectory $d
        $out = 'a' | Invoke-Batch -Name deploy -StateDirectory $d { 'ran' } -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BatchNameConflict,*'
        (Get-Batch $d deploy).Completed | Should -Be 0

        $null = New-BatchState -Name twin -Feature a -BatchId twin-1 -StateDirectory $d
        $null = New-BatchState -Name twin -Feature a -BatchId twin-2 -StateDirectory $d
        $out = Invoke-Batch -Name twin -StateDirectory $d { 'ran' } -ErrorVariable err2 -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'AmbiguousBatchName,*'
        $err2[0].Exception.Message | Should -Match 'twin-1, twin-2'
        @(Invoke-Batch -Name twin -BatchId twin-2 -StateDirectory $d { 'ran' }) | Should -Be 'ran'
    }
}

Describe 'Input keys' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
    }
    AfterEach { Remove-TestStateDirectory $d }

    It '-Key over CSV rows: each row keyed by its column, $_ the whole row, a repeated key one item (one warning)' {
        $csv = Join-Path $work 'mailboxes.csv'
        Set-Content -LiteralPath $csv -Value 'Mailbox,Database', 'ann@example.com,DB1', 'bob@example.com,DB2', 'ann@example.com,DB3', 'cy@example.com,DB4'
        $out = Import-Csv -LiteralPath $csv | Invoke-Batch -Name moves -Key Mailbox -StateDirectory $d -ThrottleLimit 2 {
            [pscustomobject]@{ Mailbox = $_.Mailbox; To = $_.Database }
        } -WarningVariable warnings
        @($out | Sort-Object Mailbox | ForEach-Object { "$($_.Mailbox)>$($_.To)" }) -join ',' | Should -BeExactly 'ann@example.com>DB1,bob@example.com>DB2,cy@example.com>DB4'
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match '^1 input object\(s\) repeat a key'
        $b = Get-Batch $d moves
        @($b.Features.Feature) -join ',' | Should -BeExactly 'ann@example.com,bob@example.com,cy@example.com'
        (Get-Feature $d moves 'ann@example.com').Data.To | Should -BeExactly 'DB1'
    }

    It '-Key as a script block; objects by their Name; blank keys skipped with one warning; input without a key is an error of its own' {
        $out = @([pscustomobject]@{ Id = 7 }, [pscustomobject]@{ Id = 8 }) | Invoke-Batch -Name by-id -Key { "id-$($_.Id)" } -StateDirectory $d { $_.Id * 10 }
        @($out) -join ',' | Should -BeExactly '70,80'
        @((Get-Batch $d by-id).Features.Feature) -join ',' | Should -BeExactly 'id-7,id-8'

        $out = @([pscustomobject]@{ Name = 'n1' }, '', '  ', [pscustomobject]@{ Other = 1 }, 'n2') |
            Invoke-Batch -Name by-name -StateDirectory $d { "ran $(if ($_ -is [string]) { $_ } else { $_.Name })" } -WarningVariable warnings -ErrorVariable err -ErrorAction SilentlyContinue
        @($out) -join ',' | Should -BeExactly 'ran n1,ran n2'
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match '^Skipped 2 input object'
        @($err).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidFeatureInput,*'
    }

    It 'an item only an earlier run''s input had gets its key as $_' {
        $null = New-BatchState -Name leftover -Feature old -BatchId leftover -StateDirectory $d
        $out = [pscustomobject]@{ Name = 'new'; Size = 5 } | Invoke-Batch -Name leftover -StateDirectory $d { if ($_ -is [string]) { "string $_" } else { "object $($_.Name) $($_.Size)" } }
        @($out) -join ',' | Should -BeExactly 'string old,object new 5'
    }
}

Describe '$using:' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'reads the caller''s variables, nested blocks too, shared by reference, at -ThrottleLimit <Throttle>' -ForEach @(@{ Throttle = 1 }, @{ Throttle = 3 }) {
        $suffix = '.example.com'
        $wanted = @('b', 'c')
        $seen = [System.Collections.Concurrent.ConcurrentBag[string]]::new()
        $out = 'a', 'b', 'c', 'd' | Invoke-Batch -Name "using-$Throttle" -StateDirectory $d -ThrottleLimit $Throttle {
            $bag = $using:seen
            $bag.Add($_)
            $picked = @($using:wanted | Where-Object { $_ -eq $using:wanted[0] -or $_ -eq 'c' })
            "$_$using:suffix $($picked -join '+')"
        }
        @($out | Sort-Object) -join ',' | Should -BeExactly 'a.example.com b+c,b.example.com b+c,c.example.com b+c,d.example.com b+c'
        @($seen | Sort-Object) -join ',' | Should -BeExactly 'a,b,c,d' -Because 'the caller''s own bag was filled'
    }

    It 'a $using: variable that is not set is UsingVariableNotSet, before anything runs' {
        { 'a' | Invoke-Batch -Name unset -StateDirectory $d { $using:notSetAnywhere } -ErrorAction Stop } | Should -Throw -ErrorId 'UsingVariableNotSet,*'
        Test-Path -LiteralPath (Join-Path $d 'unset.json') | Should -BeFalse
    }
}

Describe 'Outcomes' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'output is emitted as each item ends and stored as its Data: one object as itself, several as an array' {
        $out = 'one', 'two' | Invoke-Batch -Name out -StateDirectory $d -ThrottleLimit 2 {
            if ($_ -eq 'one') { @{ Value = 1 } } else { 'x'; 'y' }
        }
        @($out).Count | Should -Be 3
        (Get-Feature $d out one).Data.Value | Should -Be 1
        @((Get-Feature $d out two).Data) -join ',' | Should -BeExactly 'x,y'
    }

    It '-PassThru emits each item''s FeatureState as recorded, not the output' {
        $out = @('a', 'b' | Invoke-Batch -Name pass -StateDirectory $d -PassThru { "out $_" })
        $out.Count | Should -Be 2
        $out[0] | Should -BeOfType ([StateCmdlets.FeatureState])
        @($out.Status) -join ',' | Should -BeExactly 'Completed,Completed'
        $out[1].Data | Should -BeExactly 'out b'
    }

    It 'output larger than -MaxDataBytes is stored cut, as a string, with one warning; 0 stores none' {
        $out = 'big', 'big2' | Invoke-Batch -Name cut -StateDirectory $d -MaxDataBytes 100 { 'é' * 300 } -WarningVariable warnings
        @($out)[0].Length | Should -Be 300 -Because 'the output itself is emitted whole'
        @($warnings).Count | Should -Be 1
        $data = (Get-Feature $d cut big).Data
        $data | Should -BeOfType ([string])
        $data | Should -BeLike '"ééé*'
        [Text.Encoding]::UTF8.GetByteCount(($data | ConvertTo-Json)) | Should -BeLessOrEqual 100
        'n' | Invoke-Batch -Name none -StateDirectory $d -MaxDataBytes 0 { 'kept out' } | Should -Be 'kept out'
        (Get-Feature $d none n).Data | Should -BeNullOrEmpty
    }

    It 'a terminating error fails the item with its message and types (permanent error types apply); a non-terminating one is forwarded and the item completes' {
        $ErrorActionPreference = 'Continue'   # as in a script: a Write-Error is no reason to stop
        $out = 'throws', 'writes', 'io' | Invoke-Batch -Name fail -StateDirectory $d -PermanentErrorType System.IO.IOException -MaxAttempts 3 -MaxConsecutiveFailures 0 {
            switch ($_) {
                'throws' { throw 'broken' }
                'writes' { Write-Error 'just a warning sign'; 'still here' }
                'io' { throw [System.IO.FileNotFoundException]::new('gone') }
            }
        } -ErrorVariable err -ErrorAction SilentlyContinue
        @($out) | Should -Be 'still here'
        (Get-Feature $d fail writes).Status | Should -Be 'Completed'
        $throws = Get-Feature $d fail throws
        $throws.Status | Should -Be 'Failed'
        $throws.Attempts | Should -Be 3 -Because 'retried at once (no backoff) until out of attempts'
        $throws.LastError | Should -BeLike 'broken*'
        $io = Get-Feature $d fail io
        $io.Attempts | Should -Be 1
        $io.Permanent | Should -BeTrue
        # Forwarded while running, then one error per item left failed.
        @($err | Where-Object { "$_" -eq 'just a warning sign' }).Count | Should -Be 1
        @($err | Where-Object FullyQualifiedErrorId -Like 'FeatureFailed,*' | ForEach-Object TargetObject | Sort-Object) -join ',' | Should -BeExactly 'io,throws'
    }

    It 'errors under -ErrorAction Stop, or the caller''s $ErrorActionPreference = ''Stop'', fail the item at -ThrottleLimit <Throttle>' -ForEach @(@{ Throttle = 1 }, @{ Throttle = 2 }) {
        'a' | Invoke-Batch -Name "stop-$Throttle" -StateDirectory $d -ThrottleLimit $Throttle -MaxAttempts 1 { Get-Item -LiteralPath '/no/such/path' -ErrorAction Stop } -ErrorAction SilentlyContinue
        (Get-Feature $d "stop-$Throttle" a).Status | Should -Be 'Failed'
        $caught = & {
            $ErrorActionPreference = 'Stop'
            try { 'b' | Invoke-Batch -Name "pref-$Throttle" -StateDirectory $d -ThrottleLimit $Throttle -MaxAttempts 1 { Write-Error 'stop here'; 'not reached' } }
            catch { $_ }
        }
        (Get-Feature $d "pref-$Throttle" b).Status | Should -Be 'Failed'
        # With 'Stop', the error for the failed item ends the run's caller: what a scheduled task's exit code shows.
        $caught.FullyQualifiedErrorId | Should -BeLike 'FeatureFailed,*'
    }

    It 'stops handing out items once failures in a row open the breaker, and says how to go on' {
        $runs = New-RunCounter
        'a', 'b', 'c', 'd', 'e' | Invoke-Batch -Name breaker -StateDirectory $d -MaxConsecutiveFailures 2 -MaxAttempts 1 {
            $null = ($using:runs).TryAdd($_, 1)
            throw 'service down'
        } -WarningVariable w -ErrorAction SilentlyContinue
        $runs.Count | Should -Be 2
        (Get-Batch $d breaker).Status | Should -Be 'Suspended'
        "$w" | Should -Match "Batch 'breaker' is suspended after 2 failures in a row"
    }

    It 'forwards the warning, verbose and information records of the block, in order' {
        $out = 'a' | Invoke-Batch -Name streams -StateDirectory $d -ThrottleLimit 2 { Write-Warning "careful $_"; Write-Information "note $_"; 'done' } -WarningVariable w -InformationVariable i
        $out | Should -Be 'done'
        "$w" | Should -BeExactly 'careful a'
        @($i | Where-Object { "$($_.MessageData)" -eq 'note a' }).Count | Should -Be 1
    }
}

Describe '-TimeoutSeconds' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'stops one slow item (Failed, TimedOut) and goes on with the rest, at -ThrottleLimit <Throttle>' -ForEach @(@{ Throttle = 1 }, @{ Throttle = 3 }) {
        $after = Join-Path $work "after-$Throttle"
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $out = 'fast1', 'slow', 'fast2', 'fast3' | Invoke-Batch -Name "timeout-$Throttle" -StateDirectory $d -ThrottleLimit $Throttle -TimeoutSeconds 1 -MaxAttempts 1 {
            if ($_ -eq 'slow') { Start-Sleep -Seconds 60; [IO.File]::WriteAllText($using:after, 'ran on') }
            "done $_"
        } -ErrorVariable err -ErrorAction SilentlyContinue
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'the slow item was stopped, not waited for'
        @($out | Sort-Object) -join ',' | Should -BeExactly 'done fast1,done fast2,done fast3'
        $slow = Get-Feature $d "timeout-$Throttle" slow
        $slow.Status | Should -Be 'Failed'
        $slow.LastError | Should -BeLike 'Timed out*'
        @($err).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'TimedOut,*'
        (Get-Batch $d "timeout-$Throttle").Completed | Should -Be 3
        Start-Sleep -Milliseconds 200
        Test-Path -LiteralPath $after | Should -BeFalse -Because 'the stopped block never went on'
    }
}

Describe 'Retries with backoff, in one run' {
    BeforeEach {
        $d = New-TestStateDirectory
        $runs = New-RunCounter
        $times = [System.Collections.Concurrent.ConcurrentQueue[datetime]]::new()
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'retries a failed item once its backoff passes, until it succeeds' {
        'flaky', 'fine' | Invoke-Batch -Name retry -StateDirectory $d -ThrottleLimit 2 -MaxAttempts 3 -RetryDelay 0.2 {
            $n = ($using:runs).AddOrUpdate($_, 1, { param($k, $v) $v + 1 })
            if ($_ -eq 'flaky') {
                ($using:times).Enqueue([datetime]::UtcNow)
                if ($n -lt 3) { throw "attempt $n failed" }
            }
            "$_ ok"
        } | Should -Be 'fine ok', 'flaky ok'
        $flaky = Get-Feature $d retry flaky
        $flaky.Status | Should -Be 'Completed'
        $flaky.Attempts | Should -Be 3
        $runs['fine'] | Should -Be 1
        $t = @($times)
        # Backoff 0.2 s then 0.4 s, each with jitter of at most 25 %.
        ($t[1] - $t[0]).TotalSeconds | Should -BeGreaterOrEqual 0.14
        ($t[2] - $t[1]).TotalSeconds | Should -BeGreaterOrEqual 0.29
    }

    It '-NoRetryWait leaves an item whose backoff has not passed for the next run' {
        'flaky' | Invoke-Batch -Name noretry -StateDirectory $d -MaxAttempts 3 -RetryDelay 600 -NoRetryWait {
            $null = ($using:runs).AddOrUpdate($_, 1, { param($k, $v) $v + 1 })
            throw 'down'
        } -ErrorVariable err -ErrorAction SilentlyContinue
        $runs['flaky'] | Should -Be 1
        $f = Get-Feature $d noretry flaky
        $f.Status | Should -Be 'Failed'
        $f.RetryAt | Should -BeGreaterThan ([datetime]::UtcNow.AddSeconds(300))
        $err[0].FullyQualifiedErrorId | Should -BeLike 'FeatureFailed,*'
    }
}

Describe 'Stopping' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
    }
    AfterEach {
        Stop-InRunspace $run
        Remove-TestStateDirectory $d
    }

    It 'Ctrl+C (StopProcessing) stops the items in flight and releases them, at -ThrottleLimit <Throttle>; results recorded stay' -ForEach @(@{ Throttle = 1 }, @{ Throttle = 2 }) {
        $run = Start-InRunspace -Parameters @{ Directory = $d; Work = $work; Throttle = $Throttle } -Script @'
param($Directory, $Work, $Throttle)
'quick', 'slow1', 'slow2', 'never' | Invoke-Batch -Name stop -StateDirectory $Directory -ThrottleLimit $Throttle {
    if ($_ -ne 'quick') {
        [IO.File]::WriteAllText((Join-Path $using:Work "started-$_"), 'x')
        Start-Sleep -Seconds 60
        [IO.File]::WriteAllText((Join-Path $using:Work "ended-$_"), 'x')
    }
}
'@
        Wait-Until -TimeoutSeconds 60 -What 'the slow items to be under way' -Condition {
            if ($run.Handle.IsCompleted) { throw "Invoke-Batch ended early: $($run.PowerShell.Streams.Error)" }
            @(Get-ChildItem -LiteralPath $work -Filter 'started-*').Count -eq $Throttle
        }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $run.PowerShell.Stop()
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30 -Because 'Ctrl+C stops at once'
        $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'

        $b = Get-Batch $d stop
        (Get-Feature $d stop quick).Status | Should -Be 'Completed'
        foreach ($f in $b.Features | Where-Object Feature -NE 'quick') {
            $f.Status | Should -Be 'Pending' -Because "$($f.Feature) was stopped, not failed"
            $f.Attempts | Should -Be 0
            $f.ClaimedBy | Should -BeNullOrEmpty -Because "$($f.Feature) was released"
        }
        $b.InProgress | Should -Be 0
        Start-Sleep -Milliseconds 200
        @(Get-ChildItem -LiteralPath $work -Filter 'ended-*') | Should -BeNullOrEmpty -Because 'the stopped blocks never went on'

        # The next run does the rest.
        'quick', 'slow1', 'slow2', 'never' | Invoke-Batch -Name stop -StateDirectory $d { } | Out-Null
        (Get-Batch $d stop).Completed | Should -Be 4
    }

    It 'a lost claim stops that item''s block: nothing is recorded for it' {
        $run = Start-InRunspace -Parameters @{ Directory = $d; Work = $work } -Script @'
param($Directory, $Work)
'taken' | Invoke-Batch -Name lost -StateDirectory $Directory -ThrottleLimit 2 -LeaseSeconds 1.5 {
    [IO.File]::WriteAllText((Join-Path $using:Work 'started'), 'x')
    Start-Sleep -Seconds 60
    [IO.File]::WriteAllText((Join-Path $using:Work 'ended'), 'x')
} -ErrorAction SilentlyContinue -ErrorVariable err
$err
'@
        Wait-Until -TimeoutSeconds 60 -What 'the item to be under way' -Condition {
            if ($run.Handle.IsCompleted) { throw "Invoke-Batch ended early: $($run.PowerShell.Streams.Error)" }
            Test-Path -LiteralPath (Join-Path $work 'started')
        }
        # Someone else finishes the item meanwhile (an operator's result ends any claim).
        Set-FeatureResult -BatchId lost -Feature taken -Status Completed -Data 'by hand' -StateDirectory $d -ErrorAction Stop
        if (-not $run.Handle.AsyncWaitHandle.WaitOne(30000)) { throw 'Invoke-Batch did not stop the block of the lost item.' }
        $errors = @($run.PowerShell.EndInvoke($run.Handle))
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ClaimLost,*'
        $f = Get-Feature $d lost taken
        $f.Data | Should -BeExactly 'by hand'
        $f.Attempts | Should -Be 1
        Test-Path -LiteralPath (Join-Path $work 'ended') | Should -BeFalse
    }
}

Describe '-WhatIf' {
    BeforeEach {
        $d = New-TestStateDirectory
        $runs = New-RunCounter
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'says how many items are new, done, failed and left, and runs nothing' {
        $null = 'a', 'b' | Invoke-Batch -Name what -StateDirectory $d { } -WhatIf
        Test-Path -LiteralPath (Join-Path $d 'what.json') | Should -BeFalse -Because 'no batch is made'

        'a', 'b', 'c' | Invoke-Batch -Name what -StateDirectory $d -MaxAttempts 1 { if ($_ -eq 'c') { throw 'no' } } -ErrorAction SilentlyContinue
        $before = Get-DirectorySnapshot $d
        # "What if:" goes to the host: a transcript sees it as a user would.
        $transcript = Join-Path (Split-Path -Parent $d) 'whatif.txt'
        $null = Start-Transcript -LiteralPath $transcript
        try { 'a', 'b', 'c', 'd', 'e' | Invoke-Batch -Name what -StateDirectory $d { $null = ($using:runs).TryAdd($_, 1) } -WhatIf }
        finally { $null = Stop-Transcript }
        $runs.Count | Should -Be 0
        Get-DirectorySnapshot $d | Should -Be $before
        (Get-Content -LiteralPath $transcript -Raw) -replace '\s+', ' ' | Should -Match "What if: Running the script block for the items of batch 'what' \(.*what\.json\): 2 new, 2 done, 1 failed, 2 left of 5\."
    }
}

Describe 'Processes' -Skip:(-not $IsLinux) {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $script = Join-Path $work 'one-liner.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value $OneLinerScript
        $items = Join-Path $work 'items.txt'
        $log = Join-Path $work 'log'
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'the one-liner killed (SIGKILL) mid-run and run again: every item done, its side effect once but for at most the throttle limit in flight' {
        $names = 1..40 | ForEach-Object { 'srv{0:d2}' -f $_ }
        Set-Content -LiteralPath $items -Value $names
        $child = Start-TestPwsh -ScriptPath $script -ArgumentList @('-Module', $ModuleManifestPath, '-StateDirectory', $d, '-Items', $items, '-Log', $log, '-Throttle', '4', '-WorkMs', '150')
        try {
            Wait-Until -TimeoutSeconds 90 -What 'a dozen items to be done' -Condition {
                if ($child.HasExited) { throw "The run ended before it was killed (exit code $($child.ExitCode))." }
                @(Read-LogLines $log).Count -ge 12
            }
            $child.Kill()   # SIGKILL: no finally, no release, no exit handler
            $child.WaitForExit()
        }
        finally { if (-not $child.HasExited) { $child.Kill() } }
        $before = @(Read-LogLines $log).Count
        $before | Should -BeLessThan 40 -Because 'it was killed in the middle'

        # The same line again, in this process (the killed one's claims are free at once: its process is gone).
        Get-Content $items | Invoke-Batch -Name one-liner -StateDirectory $d -ThrottleLimit 4 {
            $m = [Threading.Mutex]::new($false, 'StateCmdletsTestLog-' + (Split-Path -Leaf (Split-Path -Parent $using:log)))
            $null = $m.WaitOne()
            try { [IO.File]::AppendAllText($using:log, "$_ $PID`n") } finally { $m.ReleaseMutex(); $m.Dispose() }
        }

        $b = Get-Batch $d one-liner
        $b.Completed | Should -Be 40
        $b.InProgress | Should -Be 0
        $count = @{}
        foreach ($line in Read-LogLines $log) { $name = ($line -split ' ')[0]; $count[$name] = 1 + [int]$count[$name] }
        foreach ($name in $names) { $count[$name] | Should -BeGreaterOrEqual 1 -Because "$name must have run" }
        $twice = @($count.Keys | Where-Object { $count[$_] -gt 1 })
        @($count.Keys | Where-Object { $count[$_] -gt 2 }) | Should -BeNullOrEmpty
        $twice.Count | Should -BeLessOrEqual 4 -Because 'only the items in flight at the kill (at most the throttle limit) may run again'
    }

    It 'two processes running the same line at once: no item runs twice, every item done, each did a share' {
        $names = 1..60 | ForEach-Object { 'job{0:d2}' -f $_ }
        Set-Content -LiteralPath $items -Value $names
        $go = Join-Path $work 'go'
        $children = foreach ($k in 1, 2) {
            $ready = Join-Path $work "ready-$k"
            $p = Start-TestPwsh -ScriptPath $script -RedirectOutput -ArgumentList @('-Module', $ModuleManifestPath, '-StateDirectory', $d, '-Items', $items, '-Log', $log, '-Throttle', '3', '-WorkMs', '60', '-Ready', $ready, '-Go', $go)
            [pscustomobject]@{ Process = $p; Ready = $ready; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
        }
        try {
            Wait-Until -TimeoutSeconds 90 -What 'both processes to be ready' -Condition {
                foreach ($c in $children) { if ($c.Process.HasExited) { throw "A process exited early: $($c.Err.GetAwaiter().GetResult())" } }
                @($children | Where-Object { Test-Path -LiteralPath $_.Ready }).Count -eq 2
            }
            [IO.File]::WriteAllText($go, 'go')
            foreach ($c in $children) { Wait-TestProcess -Process $c.Process -TimeoutSeconds 120 -What 'one-liner' }
        }
        finally { foreach ($c in $children) { if (-not $c.Process.HasExited) { $c.Process.Kill() } } }

        foreach ($c in $children) { $c.Process.ExitCode | Should -Be 0 -Because $c.Err.GetAwaiter().GetResult() }
        $lines = @(Read-LogLines $log)
        $ran = @($lines | ForEach-Object { ($_ -split ' ')[0] })
        @($ran | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name) | Should -BeNullOrEmpty -Because 'no item may run in two processes'
        $ran.Count | Should -Be 60
        foreach ($c in $children) { @($lines | Where-Object { $_ -like "* $($c.Process.Id)" }).Count | Should -BeGreaterThan 0 -Because "process $($c.Process.Id) must do a share" }
        $b = Get-Batch $d one-liner
        $b.Completed | Should -Be 60
        $b.Total | Should -Be 60 -Because 'both made or found the one batch, none added an item twice'
    }
}
