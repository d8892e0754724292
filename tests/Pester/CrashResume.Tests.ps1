BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'kill -9 in the middle of a batch, then resume' {
    BeforeAll {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $id = 'crash'
        $features = 1..200 | ForEach-Object { 'item-{0:d3}' -f $_ }
        $null = New-BatchState -Name 'crash test' -Feature $features -BatchId $id -StateDirectory $d -ErrorAction Stop

        # The worker: logs "<tag> <feature>" before working on an item and "<ackTag> <feature>"
        # once Set-FeatureResult has returned (the result is acknowledged, so durable).
        $worker = Join-Path $work 'worker.ps1'
        Set-Content -LiteralPath $worker -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory, [string] $BatchId, [string] $Log, [string] $Tag, [string] $AckTag, [int] $DelayMs)
$ErrorActionPreference = 'Stop'
Import-Module $Module
Resume-BatchState -BatchId $BatchId -StateDirectory $StateDirectory | ForEach-Object {
    $item = $_
    [IO.File]::AppendAllText($Log, "$Tag $($item.Feature)`n")
    if ($DelayMs -gt 0) { Start-Sleep -Milliseconds $DelayMs }
    $item | Set-FeatureResult -Status Completed
    [IO.File]::AppendAllText($Log, "$AckTag $($item.Feature)`n")
}
'@
        $log1 = Join-Path $work 'run1.log'
        $log2 = Join-Path $work 'run2.log'

        # Run 1: killed (SIGKILL on Linux) once at least 100 results were acknowledged.
        $run1 = Start-TestPwsh -ScriptPath $worker -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-BatchId', $id, '-Log', $log1, '-Tag', 'start', '-AckTag', 'ack', '-DelayMs', '20')
        try {
            Wait-Until -TimeoutSeconds 90 -What '100 acknowledged results from the first run' -Condition {
                if ($run1.HasExited) { throw "The first run exited early (code $($run1.ExitCode)) before it could be killed." }
                @(Read-LogLines $log1 | Where-Object { $_ -like 'ack *' }).Count -ge 100
            }
        }
        finally {
            if (-not $run1.HasExited) { $run1.Kill() }
            if (-not $run1.WaitForExit(30000)) { throw 'The killed first run did not exit within 30 s.' }
        }
        $run1Exit = $run1.ExitCode
        $run1Lines = Read-LogLines $log1
        $afterKill = Get-BatchState -BatchId $id -StateDirectory $d -ErrorAction Stop

        # Run 2: a fresh process resumes and finishes.
        $run2 = Invoke-TestPwsh -ScriptPath $worker -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-BatchId', $id, '-Log', $log2, '-Tag', 'start2', '-AckTag', 'ack2', '-DelayMs', '0') -TimeoutSeconds 120 -What 'the resuming run'
        $run2Lines = Read-LogLines $log2
        $final = Get-BatchState -BatchId $id -StateDirectory $d -ErrorAction Stop

        function Get-Tagged([string[]] $Lines, [string] $Tag) {
            @($Lines | Where-Object { $_.StartsWith("$Tag ") } | ForEach-Object { $_.Substring($Tag.Length + 1) })
        }
        $started1 = Get-Tagged $run1Lines 'start'
        $acked1 = Get-Tagged $run1Lines 'ack'
        $started2 = Get-Tagged $run2Lines 'start2'
        $acked2 = Get-Tagged $run2Lines 'ack2'
    }

    It 'really killed the first run part way' {
        $run1Exit | Should -Not -Be 0
        $acked1.Count | Should -BeGreaterOrEqual 100
        $acked1.Count | Should -BeLessThan 200
    }

    It 'leaves a readable batch with every acknowledged result recorded' {
        $afterKill.Total | Should -Be 200
        $completed = @($afterKill.Features | Where-Object Status -EQ 'Completed' | ForEach-Object Feature)
        foreach ($f in $acked1) { $completed | Should -Contain $f }
        # At most the one item in flight was recorded without its ack line.
        ($completed.Count - $acked1.Count) | Should -BeIn 0, 1
        $afterKill.Completed + $afterKill.Pending | Should -Be 200
    }

    It 'finishes in the second run with all 200 features Completed' {
        $run2.ExitCode | Should -Be 0 -Because "stderr: $($run2.StdErr)"
        $final.Status | Should -Be 'Completed'
        $final.Completed | Should -Be 200
        @($final.Features | Where-Object Status -NE 'Completed').Count | Should -Be 0
        $acked2.Count | Should -Be $started2.Count
    }

    It 'never hands an acknowledged feature to the second run' {
        @($started2 | Where-Object { $acked1 -contains $_ }) | Should -BeNullOrEmpty
    }

    It 'hands the second run every feature not recorded before the kill, once, in order' {
        $expected = @($afterKill.Features | Where-Object Status -EQ 'Pending' | ForEach-Object Feature)
        ($started2 -join ',') | Should -BeExactly ($expected -join ',')
        @($started2 | Sort-Object -Unique).Count | Should -Be $started2.Count
    }

    It 'starts at most one feature in both runs (the one in flight at the kill)' {
        @($started2 | Where-Object { $started1 -contains $_ }).Count | Should -BeLessOrEqual 1
        # Every feature was started by one run or the other.
        @(@($started1) + @($started2) | Sort-Object -Unique).Count | Should -Be 200
    }

    It 'counts one attempt per feature (at most one feature with two)' {
        @($final.Features | Where-Object Attempts -LT 1) | Should -BeNullOrEmpty
        @($final.Features | Where-Object Attempts -GT 2) | Should -BeNullOrEmpty
        @($final.Features | Where-Object Attempts -EQ 2).Count | Should -BeLessOrEqual 1
    }

    It 'leaves only the batch files in the state directory' {
        # A kill in the middle of a write may leave its hidden temp file (.crash.json.<hex>.tmp);
        # that is allowed, anything else is not.
        $names = @(Get-EntryNames $d | Where-Object { $_ -notmatch '^\.crash\.json\.[0-9a-f]+\.tmp$' })
        ($names -join ',') | Should -BeExactly 'crash.journal,crash.json,crash.json.bak,crash.lock'
    }
}
