BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Concurrent writers' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $features = 0..199 | ForEach-Object { 'f{0:d3}' -f $_ }
        $null = New-BatchState -Name concurrent -Feature $features -BatchId B -StateDirectory $d
    }
    AfterEach { Remove-TestStateDirectory $d }

    It '4 processes recording 50 disjoint features each at the same time lose no result' {
        $worker = Join-Path $work 'writer.ps1'
        Set-Content -LiteralPath $worker -Encoding utf8 -Value @'
param([string] $Module, [string] $StateDirectory, [string] $BatchId, [int] $Worker, [int] $Workers, [string] $Ready, [string] $Go)
$ErrorActionPreference = 'Stop'
Import-Module $Module
# Start together: report ready, then wait (bounded) for the parent's go.
[IO.File]::WriteAllText($Ready, "$PID")
$clock = [Diagnostics.Stopwatch]::StartNew()
while (-not (Test-Path -LiteralPath $Go)) {
    if ($clock.Elapsed.TotalSeconds -gt 60) { throw 'No go signal within 60 s.' }
    Start-Sleep -Milliseconds 5
}
# Interleaved, disjoint features: worker k records k, k+4, k+8, ...
for ($i = $Worker; $i -lt 200; $i += $Workers) {
    Set-FeatureResult -BatchId $BatchId -Feature ('f{0:d3}' -f $i) -Status Completed -Data @{ worker = $Worker } -StateDirectory $StateDirectory
}
'@
        $go = Join-Path $work 'go'
        $procs = foreach ($k in 0..3) {
            $ready = Join-Path $work "ready-$k"
            [pscustomobject]@{
                Worker  = $k
                Ready   = $ready
                Process = Start-TestPwsh -ScriptPath $worker -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d, '-BatchId', 'B', '-Worker', "$k", '-Workers', '4', '-Ready', $ready, '-Go', $go)
            }
        }
        try {
            Wait-Until -TimeoutSeconds 60 -What 'all 4 writers to be ready' -Condition {
                foreach ($p in $procs) { if ($p.Process.HasExited) { throw "Writer $($p.Worker) exited early with code $($p.Process.ExitCode)." } }
                @($procs | Where-Object { Test-Path -LiteralPath $_.Ready }).Count -eq 4
            }
            [IO.File]::WriteAllText($go, 'go')
            foreach ($p in $procs) { Wait-TestProcess -Process $p.Process -TimeoutSeconds 120 -What "writer $($p.Worker)" }
        }
        finally {
            foreach ($p in $procs) { if (-not $p.Process.HasExited) { try { $p.Process.Kill() } catch { } } }
        }

        foreach ($p in $procs) { $p.Process.ExitCode | Should -Be 0 -Because "writer $($p.Worker) must succeed" }
        $b = Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop
        $b.Status | Should -Be 'Completed'
        $b.Completed | Should -Be 200
        @($b.Features | Where-Object { $_.Status -ne 'Completed' -or $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
        foreach ($f in $b.Features) { $f.Data.worker | Should -Be ($f.Index % 4) -Because $f.Feature }
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'B.journal,B.json,B.json.bak,B.lock'
    }

    It '4 runspaces of one process (ForEach-Object -Parallel) lose no result' {
        $module = $ModuleManifestPath
        0..3 | ForEach-Object -ThrottleLimit 4 -TimeoutSeconds 120 -Parallel {
            Import-Module $using:module
            for ($i = $_; $i -lt 200; $i += 4) {
                Set-FeatureResult -BatchId B -Feature ('f{0:d3}' -f $i) -Status Completed -Data @{ worker = $_ } -StateDirectory $using:d -ErrorAction Stop
            }
        }
        $b = Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop
        $b.Completed | Should -Be 200
        @($b.Features | Where-Object { $_.Status -ne 'Completed' -or $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
        foreach ($f in $b.Features) { $f.Data.worker | Should -Be ($f.Index % 4) -Because $f.Feature }
    }
}

Describe 'Lock timeout against another program holding the flock' {
    BeforeEach {
        $d = New-TestStateDirectory
        $null = New-BatchState -Name locked -Feature a, b -BatchId B -StateDirectory $d
        $lockPath = Join-Path $d 'B.lock'
        $holder = $null
    }
    AfterEach {
        if ($holder -and -not $holder.HasExited) { try { $holder.Kill() } catch { } ; $null = $holder.WaitForExit(10000) }
        Remove-TestStateDirectory $d
    }

    It 'Set-FeatureResult -LockTimeout 0.5 throws StateLockTimeout naming the lock file; it works once the holder exits' {
        if (-not $python) { Set-ItResult -Skipped -Because 'python3 is not on PATH (or this is Windows)'; return }
        $holder = Start-PythonLockHolder -LockPath $lockPath -Seconds 5

        $before = (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash
        { Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -LockTimeout 0.5 -ErrorAction Stop } |
            Should -Throw -ErrorId 'StateLockTimeout,*'
        $null = Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -LockTimeout 0.5 -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].Exception.Message | Should -BeLike "*$lockPath*"
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash | Should -Be $before
        # Readers take no lock: they are not held up.
        (Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop).Pending | Should -Be 2
        @(Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop).Count | Should -Be 2

        if (-not $holder.WaitForExit(20000)) { throw 'python3 did not exit within 20 s.' }
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -LockTimeout 0.5 -ErrorAction Stop
        $b = Get-BatchState -BatchId B -StateDirectory $d
        $b.Features[0].Status | Should -Be 'Completed'
        $b.Features[0].Attempts | Should -Be 1
    }

    It 'New-BatchState -Force and Remove-BatchState time out too, changing nothing' {
        if (-not $python) { Set-ItResult -Skipped -Because 'python3 is not on PATH (or this is Windows)'; return }
        $holder = Start-PythonLockHolder -LockPath $lockPath -Seconds 5
        $before = (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash
        { New-BatchState -Name other -Feature x -BatchId B -Force -StateDirectory $d -LockTimeout 0.2 -ErrorAction Stop } | Should -Throw -ErrorId 'StateLockTimeout,*'
        { Remove-BatchState -BatchId B -StateDirectory $d -LockTimeout 0.2 -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'StateLockTimeout,*'
        (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash | Should -Be $before
        $holder.Kill()
        if (-not $holder.WaitForExit(20000)) { throw 'python3 did not exit within 20 s after Kill.' }
        # A killed holder's lock is released by the kernel: no stale lock.
        Remove-BatchState -BatchId B -StateDirectory $d -LockTimeout 5 -Confirm:$false -ErrorAction Stop
        @(Get-EntryNames $d) | Should -BeNullOrEmpty
    }

    # Regression: B.lock kept the last StateCmdlets holder's text, so a timeout named a stale holder.
    It 'does not name a stale holder in the timeout message' {
        if (-not $python) { Set-ItResult -Skipped -Because 'python3 is not on PATH (or this is Windows)'; return }
        $holder = Start-PythonLockHolder -LockPath $lockPath -Seconds 5
        $null = Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -LockTimeout 0.2 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateLockTimeout,*'
        $err[0].Exception.Message | Should -Not -Match "pid $PID\b"
    }
}
