BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    function Get-Completion([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Tab completion' {
    BeforeAll {
        $d = New-TestStateDirectory
        $null = 'web 01', 'web02', "it's" | New-BatchState -Name 'Nightly web' -BatchId night-1 -StateDirectory $d
        $null = 'db01' | New-BatchState -Name 'Nightly db' -BatchId night-2 -StateDirectory $d
        $null = 'x' | New-BatchState -Name 'Other' -BatchId other -StateDirectory $d
    }
    AfterAll { Remove-TestStateDirectory $d }

    It 'completes -BatchId from the batches of -StateDirectory' {
        Get-Completion "Resume-BatchState -StateDirectory '$d' -BatchId nig" | Should -Be 'night-1', 'night-2'
        Get-Completion "Get-BatchState -StateDirectory '$d' -BatchId " | Should -Be 'night-1', 'night-2', 'other'
        Get-Completion "Remove-BatchState -StateDirectory '$d' -BatchId o" | Should -Be 'other'
    }

    It 'completes -Name from the batch names, quoted when needed' {
        Get-Completion "Get-BatchState -StateDirectory '$d' -Name Nightly" | Should -Be "'Nightly db'", "'Nightly web'"
    }

    It 'completes -Feature from the features of the batch -BatchId names, quoting odd names' {
        Get-Completion "Set-FeatureResult -StateDirectory '$d' -BatchId night-1 -Feature " | Should -Be "'it''s'", "'web 01'", 'web02'
        Get-Completion "Set-FeatureResult -StateDirectory '$d' -BatchId night-1 -Feature web0" | Should -Be 'web02'
    }

    It 'completes -Status from the statuses a result may have' {
        Get-Completion 'Set-FeatureResult -Status ' | Should -Be 'Completed', 'Failed', 'Skipped'
    }

    It 'resolves a relative -StateDirectory against the current location' {
        Push-Location -LiteralPath (Split-Path -Parent $d)
        try { Get-Completion "Resume-BatchState -StateDirectory state -BatchId ot" | Should -Be 'other' }
        finally { Pop-Location }
    }

    It 'offers nothing, and fails nothing, for an unknown batch or folder' {
        Get-Completion "Set-FeatureResult -StateDirectory '$d' -BatchId nope -Feature " | Should -BeNullOrEmpty
        Get-Completion "Resume-BatchState -StateDirectory '$d/missing' -BatchId " | Should -BeNullOrEmpty
    }
}

Describe 'Progress' {
    BeforeAll {
        $python = if ($IsLinuxHost) { Get-Command python3 -CommandType Application -ErrorAction Ignore | Select-Object -First 1 }
        # A pseudo-terminal that answers the cursor-position queries (ESC[6n) PowerShell's progress
        # bar makes, as a real terminal would (script(1) does not, and each query then waits seconds).
        $terminal = Join-Path ([IO.Path]::GetTempPath()) "statecmdlets-pty-$PID.py"
        Set-Content -LiteralPath $terminal -Value @'
import os, pty, sys, select
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready: break
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data: break
    out += data
    if b'\x1b[6n' in data:
        os.write(fd, b'\x1b[5;1R' * data.count(b'\x1b[6n'))
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
'@
    }
    AfterAll { Remove-Item -LiteralPath $terminal -ErrorAction Ignore }
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'shows a bar per batch, done/total, in a terminal' {
        if (-not $python) { Set-ItResult -Skipped -Because 'needs python3 on Linux for a pseudo-terminal'; return }
        $null = 1..40 | New-BatchState -Name p -BatchId pb -StateDirectory $d
        $file = Join-Path (Split-Path -Parent $d) 'progress.ps1'
        Set-Content -LiteralPath $file -Value "Import-Module '$ModuleManifestPath'; Resume-BatchState -BatchId pb -StateDirectory '$d' | ForEach-Object { Start-Sleep -Milliseconds 25; `$_ } | Set-FeatureResult -Status Completed"
        $seen = (& $python.Source $terminal $PwshPath -NoProfile -NonInteractive -File $file) -join "`n"
        $seen | Should -Match 'Batch pb'
        $seen | Should -Match '/40 done'
        (Get-BatchState -BatchId pb -StateDirectory $d).Completed | Should -Be 40
    }

    It 'shows one bar, not two, for Resume-BatchState | Set-FeatureResult on one batch' {
        if (-not $python) { Set-ItResult -Skipped -Because 'needs python3 on Linux for a pseudo-terminal'; return }
        $null = 1..5 | New-BatchState -Name p -BatchId pb -StateDirectory $d
        # In a terminal, a nested PowerShell collects the progress records instead of drawing them:
        # each command that draws a bar ends it with one Completed record.
        $file = Join-Path (Split-Path -Parent $d) 'one-bar.ps1'
        Set-Content -LiteralPath $file -Value @"
`$ps = [powershell]::Create().AddScript("Import-Module '$ModuleManifestPath'; Resume-BatchState -BatchId pb -StateDirectory '$d' | Set-FeatureResult -Status Completed; Set-FeatureResult -BatchId pb -Feature 1 -Status Completed -StateDirectory '$d'")
`$null = `$ps.Invoke()
'bars=' + @(`$ps.Streams.Progress | Where-Object { `$_.Activity -eq 'Batch pb' -and `$_.RecordType -eq 'Completed' }).Count
"@
        $seen = (& $python.Source $terminal $PwshPath -NoProfile -NonInteractive -File $file) -join "`n"
        # Resume-BatchState's bar, then the lone Set-FeatureResult's own once Resume-BatchState is done.
        $seen | Should -Match 'bars=2'
        (Get-BatchState -BatchId pb -StateDirectory $d).Completed | Should -Be 5
    }

    It 'writes no progress when output is redirected (a scheduled task) ' {
        $null = 1..40 | New-BatchState -Name p -BatchId pb -StateDirectory $d
        # -OutputFormat xml serialises every stream, progress records included (on stderr). Started as
        # a plain process: a pwsh parent would decode the CLIXML and swallow the records.
        $info = [System.Diagnostics.ProcessStartInfo]::new($PwshPath)
        foreach ($a in '-NoProfile', '-NonInteractive', '-OutputFormat', 'xml', '-Command',
            "Import-Module '$ModuleManifestPath'; Write-Progress -Activity 'witness'; Resume-BatchState -BatchId pb -StateDirectory '$d' | ForEach-Object { Start-Sleep -Milliseconds 10; `$_ } | Set-FeatureResult -Status Completed") {
            $info.ArgumentList.Add($a)
        }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $child = [System.Diagnostics.Process]::Start($info)
        $stdout = $child.StandardOutput.ReadToEndAsync()
        $stderr = $child.StandardError.ReadToEnd()
        $child.WaitForExit(60000) | Should -BeTrue
        $xml = @($stdout.Result, $stderr)
        ($xml -join "`n") | Should -Match 'witness' -Because 'the capture must be able to see progress at all'
        ($xml -join "`n") | Should -Not -Match 'Batch pb'
        (Get-BatchState -BatchId pb -StateDirectory $d).Completed | Should -Be 40
    }
}

Describe 'Streams and views' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It '-Verbose names the lock taken, its wait, and the journal written' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        $verbose = Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -Verbose 4>&1
        ($verbose -join "`n") | Should -Match ([regex]::Escape("Locked '$(Join-Path $d 'B.lock')' after ") + '[\d.]+ ms')
        ($verbose -join "`n") | Should -Match ([regex]::Escape("'$(Join-Path $d 'B.journal')'") + '.*fsynced')
    }

    It 'shows batches as a table of BatchId, Status, Done/Total, Failed, InProgress, Name, Updated' {
        $null = 'a', 'b', 'c' | New-BatchState -Name 'view test' -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature b -Status Failed -ErrorMessage 'boom' -StateDirectory $d
        $text = Get-BatchState -StateDirectory $d | Out-String -Width 200
        $text | Should -Match 'BatchId\s+Status\s+Done\s+Failed\s+InProgress\s+Name\s+Updated \(UTC\)'
        $text | Should -Match 'B\s+Running\s+1/3 \(33%\)\s+1\s+0\s+view test\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d'
    }

    It 'keeps BatchId, Status, Done and Failed whole in a 60-column console' {
        $null = 1..120 | ForEach-Object { "srv-$_" } | New-BatchState -Name 'November patching of the web servers' -BatchId batch-20261125-101500-3f9a -StateDirectory $d
        1..37 | ForEach-Object { Set-FeatureResult -BatchId batch-20261125-101500-3f9a -Feature "srv-$_" -Status Completed -StateDirectory $d }
        Set-FeatureResult -BatchId batch-20261125-101500-3f9a -Feature srv-40 -Status Failed -StateDirectory $d
        $lines = (Get-BatchState -StateDirectory $d | Out-String -Width 60) -split "`r?`n"
        @($lines | Where-Object { $_ -match '^BatchId\s+Status\s+Done\s+Failed\b' }).Count | Should -Be 1
        @($lines | Where-Object { $_ -match '^batch-20261125-101500-3f9a\s+Running\s+37/120 \(30%\)\s+1\b' }).Count | Should -Be 1
        $lines | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 60 }
    }

    It 'lists a batch with its failures and their errors; Format-List * shows every property' {
        $null = 'a', 'b' | New-BatchState -Name 'list test' -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature b -Status Failed -ErrorMessage 'disk full' -StateDirectory $d
        $list = Get-BatchState -BatchId B -StateDirectory $d | Format-List | Out-String -Width 200
        $list | Should -Match 'Failures\s+: b \(attempt 1\): disk full'
        $all = Get-BatchState -BatchId B -StateDirectory $d | Format-List * | Out-String -Width 200
        foreach ($p in 'BatchId', 'Name', 'Status', 'Total', 'Completed', 'Failed', 'Skipped', 'Pending', 'CreatedAt', 'UpdatedAt', 'MaxAttempts', 'SchemaVersion', 'Features', 'StateDirectory', 'Path', 'Progress') {
            $all | Should -Match "(?m)^$p\s+:" -Because $p
        }
    }

    It 'shows features as a table of Feature, Status, Attempts, LastError' {
        $null = 'a' | New-BatchState -Name n -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -ErrorMessage 'nope' -StateDirectory $d
        $text = (Get-BatchState -BatchId B -StateDirectory $d).Features | Out-String -Width 200
        $text | Should -Match 'Feature\s+Status\s+Attempts\s+LastError'
        $text | Should -Match 'a\s+Failed\s+1 nope'
    }

    It 'shows migration results as a table of Action, From, To, Path' {
        $null = 'a' | New-BatchState -Name n -BatchId B -StateDirectory $d
        $text = Invoke-StateMigration -StateDirectory $d -Force | Out-String -Width 200
        $text | Should -Match 'Action\s+From\s+To\s+Path'
        $text | Should -Match 'UpToDate\s+1\.3\.0\s+1\.3\.0\s+.*B\.json'
    }
}

Describe 'Views of the check and repair objects' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'shows problems as a table of BatchId, Kind, Offset, Path, Message, and a repair report as a list' {
        $null = 'a' | New-BatchState -Name n -BatchId B -StateDirectory $d
        Set-Content -LiteralPath (Join-Path $d '.B.json.0123456789ab.tmp') -Value 'x'
        $text = Test-BatchState -StateDirectory $d | Out-String -Width 200
        $text | Should -Match 'BatchId\s+Kind\s+Offset\s+Path\s+Message'
        $text | Should -Match 'B\s+OrphanTempFile\s+\.B\.json\.0123456789ab\.tmp'
        $report = Repair-BatchState -BatchId B -StateDirectory $d -Confirm:$false | Out-String -Width 200
        $report | Should -Match 'Recovered\s+: True'
        $report | Should -Match 'Actions\s+: Removed the temporary file'
    }
}
