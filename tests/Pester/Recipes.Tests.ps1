BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    # The README's recipes are the code under test: each is cut out of README.md between its markers.
    function Get-Recipe([string] $Name) {
        $readme = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../README.md') -Raw
        $m = [regex]::Match($readme, "<!-- recipe:$($Name):begin -->\s*``````powershell\r?\n(?<code>.*?)``````\s*<!-- recipe:$($Name):end -->", 'Singleline')
        if (-not $m.Success) { throw "README.md has no recipe '$Name'." }
        $m.Groups['code'].Value
    }

    # Starts a child pwsh that finds StateCmdlets by name (as a user's would), with its state in
    # $StateHome; $Prelude defines the stand-ins for the real work. Returns the Process.
    function Start-Recipe([string] $Script, [string] $Prelude, [string] $StateHome, [string] $WorkingDirectory, [string[]] $ArgumentList = @(), [string[]] $Launcher = @()) {
        $modules = Split-Path (Split-Path (Split-Path $ModuleManifestPath))
        $file = Join-Path $WorkingDirectory ("recipe-{0}.ps1" -f [guid]::NewGuid().ToString('N'))
        Set-Content -LiteralPath $file -Value $Script -Encoding utf8
        $wrapper = Join-Path $WorkingDirectory ("run-{0}.ps1" -f [guid]::NewGuid().ToString('N'))
        Set-Content -LiteralPath $wrapper -Encoding utf8 -Value @"
`$env:PSModulePath = '$modules' + [IO.Path]::PathSeparator + `$env:PSModulePath
`$env:STATECMDLETS_HOME = '$StateHome'
Set-Location -LiteralPath '$WorkingDirectory'
$Prelude
& '$file' @args
"@
        $info = [System.Diagnostics.ProcessStartInfo]::new()
        if ($Launcher.Count -gt 0) {
            $info.FileName = $Launcher[0]
            foreach ($a in $Launcher[1..($Launcher.Count - 1)]) { $info.ArgumentList.Add($a) }
            $info.ArgumentList.Add($PwshPath)
        }
        else { $info.FileName = $PwshPath }
        foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $wrapper) + $ArgumentList) { $info.ArgumentList.Add($a) }
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.UseShellExecute = $false
        [System.Diagnostics.Process]::Start($info)
    }

    function Wait-Recipe([System.Diagnostics.Process] $Process, [int] $Seconds = 90) {
        $out = $Process.StandardOutput.ReadToEndAsync()
        $err = $Process.StandardError.ReadToEndAsync()
        if (-not $Process.WaitForExit($Seconds * 1000)) { $Process.Kill(); throw "The recipe did not finish within $Seconds s." }
        [pscustomobject]@{ ExitCode = $Process.ExitCode; Output = $out.Result; Errors = $err.Result }
    }
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'README recipe: resume from a scheduled task' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        $servers = Join-Path $work 'servers.txt'
        Set-Content -LiteralPath $servers -Value (1..30 | ForEach-Object { 'srv-{0:00}' -f $_ })
        $log = Join-Path $work 'work.log'
        # The stand-in for the real work: logs each start, takes a moment, srv-13 always fails.
        $prelude = @"
function Invoke-Patch([string] `$ComputerName) {
    [IO.File]::AppendAllText('$log', "start `$ComputerName`n")
    Start-Sleep -Milliseconds 30
    if (`$ComputerName -eq 'srv-13') { throw 'srv-13 unreachable' }
}
"@
        $script = Get-Recipe 'scheduled'
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'picks up after a killed run and ends with only the failing server left' {
        $first = Start-Recipe -Script $script -Prelude $prelude -StateHome $d -WorkingDirectory $work -ArgumentList '-ServerList', $servers, '-BatchId', 'patch-test', '-StateDirectory', $d
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ([DateTime]::UtcNow -lt $deadline -and -not ((Test-Path $log) -and @(Get-Content $log).Count -ge 10)) { Start-Sleep -Milliseconds 50 }
        $first.Kill()
        $null = $first.WaitForExit(20000)
        $before = @(Get-BatchState -BatchId patch-test -StateDirectory $d).Features | Where-Object Attempts -gt 0 | ForEach-Object Feature

        # srv-13 fails every time: three more runs give it its three attempts.
        foreach ($run in 1..3) {
            $r = Wait-Recipe (Start-Recipe -Script $script -Prelude $prelude -StateHome $d -WorkingDirectory $work -ArgumentList '-ServerList', $servers, '-BatchId', 'patch-test', '-StateDirectory', $d)
            $r.ExitCode | Should -Be 0 -Because $r.Errors
        }

        $batch = Get-BatchState -BatchId patch-test -StateDirectory $d
        $batch.Completed | Should -Be 29
        ($batch.Features | Where-Object Feature -eq 'srv-13').Attempts | Should -Be 3
        $batch.Status | Should -Be 'CompletedWithFailures'
        # Nothing recorded before the kill ran again, but for srv-13's retries.
        $starts = Get-Content $log | ForEach-Object { $_.Substring(6) } | Group-Object
        foreach ($name in $before | Where-Object { $_ -ne 'srv-13' }) { ($starts | Where-Object Name -eq $name).Count | Should -Be 1 -Because $name }
        @($starts | Where-Object { $_.Name -ne 'srv-13' -and $_.Count -gt 1 }).Count | Should -BeLessOrEqual 1 -Because 'only the server in flight at the kill may run twice'
    }

    It 'does every server of a list with blank lines (a trailing one too), warning once' {
        Set-Content -LiteralPath $servers -Value (@('srv-01', '', 'srv-02', '   ') + (3..30 | ForEach-Object { 'srv-{0:00}' -f $_ }) + @('', ''))
        $r = Wait-Recipe (Start-Recipe -Script $script -Prelude $prelude -StateHome $d -WorkingDirectory $work -ArgumentList '-ServerList', $servers, '-BatchId', 'patch-test', '-StateDirectory', $d)
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $batch = Get-BatchState -BatchId patch-test -StateDirectory $d
        $batch.Total | Should -Be 30
        $batch.Completed | Should -Be 29
        ([regex]::Matches($r.Output, 'Skipped 4 empty or white-space-only')).Count | Should -Be 1
    }

    It 'fails with a non-zero exit code, creating no batch, when the server list is missing' {
        $r = Wait-Recipe (Start-Recipe -Script $script -Prelude $prelude -StateHome $d -WorkingDirectory $work -ArgumentList '-ServerList', (Join-Path $work 'nope.txt'), '-BatchId', 'patch-test', '-StateDirectory', $d)
        $r.ExitCode | Should -Not -Be 0
        $r.Errors | Should -BeLike '*nope.txt*'
        Get-BatchState -StateDirectory $d | Should -BeNullOrEmpty
    }

    It 'keeps its batch in the folder it pins, whatever the account''s default folder is' {
        # Another account: its own default folder (STATECMDLETS_HOME, as the wrapper sets it) is elsewhere.
        $other = New-TestStateDirectory
        try {
            $r = Wait-Recipe (Start-Recipe -Script $script -Prelude $prelude -StateHome $other -WorkingDirectory $work -ArgumentList '-ServerList', $servers, '-BatchId', 'patch-test', '-StateDirectory', $d)
            $r.ExitCode | Should -Be 0 -Because $r.Errors
            (Get-BatchState -BatchId patch-test -StateDirectory $d).Completed | Should -Be 29
            @(Get-EntryNames $other) | Should -BeNullOrEmpty
        }
        finally { Remove-TestStateDirectory $other }
    }

    It 'with the cron line''s flock -n, a run started while another is going does nothing' {
        $flock = Get-Command flock -CommandType Application -ErrorAction Ignore | Select-Object -First 1
        if (-not $flock) { Set-ItResult -Skipped -Because 'flock (util-linux) is not installed'; return }
        $lock = Join-Path $work 'resume-patch.lock'
        $runs = 1..2 | ForEach-Object {
            Start-Recipe -Script $script -Prelude $prelude -StateHome $d -WorkingDirectory $work -ArgumentList '-ServerList', $servers, '-BatchId', 'patch-test', '-StateDirectory', $d -Launcher $flock.Source, '-n', $lock
        }
        $results = $runs | ForEach-Object { Wait-Recipe $_ }
        @($results | Where-Object ExitCode -eq 0).Count | Should -Be 1
        @($results | Where-Object ExitCode -eq 1).Count | Should -Be 1
        # Every server ran exactly once.
        @(Get-Content $log | Group-Object | Where-Object Count -gt 1) | Should -BeNullOrEmpty
        @(Get-Content $log).Count | Should -Be 30
    }
}

Describe 'README recipe: several runspaces recording into one batch' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'records every item exactly once, from more than one runspace' {
        $r = Wait-Recipe (Start-Recipe -Script (Get-Recipe 'parallel') -Prelude '' -StateHome $d -WorkingDirectory (Split-Path -Parent $d))
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $r.Errors | Should -BeNullOrEmpty
        $batch = @(Get-BatchState -StateDirectory $d)
        $batch.Count | Should -Be 1
        $batch[0].Status | Should -Be 'Completed'
        $batch[0].Completed | Should -Be 40
        @($batch[0].Features | Where-Object Attempts -ne 1) | Should -BeNullOrEmpty
        @($batch[0].Features.Data.Runspace | Sort-Object -Unique).Count | Should -BeGreaterThan 1
    }
}

Describe 'README recipe: a CSV, and a report of what failed' {
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
        1..10 | ForEach-Object { [pscustomobject]@{ Name = "user$_@contoso.example"; Database = "DB0$($_ % 3)" } } |
            Export-Csv -LiteralPath (Join-Path $work 'mailboxes.csv')
        $prelude = @'
function Move-Mailbox([string] $Identity, [string] $Database) {
    if ($Database -eq 'DB00') { throw "database $Database is full" }
}
'@
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'moves what it can and writes the failures with their errors to failures.csv' {
        $r = Wait-Recipe (Start-Recipe -Script (Get-Recipe 'csv') -Prelude $prelude -StateHome $d -WorkingDirectory $work)
        $r.ExitCode | Should -Be 0 -Because $r.Errors
        $batch = Get-BatchState -BatchId mailbox-moves -StateDirectory $d
        $batch.Total | Should -Be 10
        $batch.Completed | Should -Be 7
        $failures = @(Import-Csv -LiteralPath (Join-Path $work 'failures.csv'))
        ($failures.Feature | Sort-Object) -join ',' | Should -Be 'user3@contoso.example,user6@contoso.example,user9@contoso.example'
        $failures.LastError | Sort-Object -Unique | Should -Be 'database DB00 is full'

        # A second run retries only the failures.
        $r = Wait-Recipe (Start-Recipe -Script (Get-Recipe 'csv') -Prelude $prelude -StateHome $d -WorkingDirectory $work)
        $r.ExitCode | Should -Be 0
        $again = Get-BatchState -BatchId mailbox-moves -StateDirectory $d
        @($again.Features | Where-Object Attempts -eq 2).Feature.Count | Should -Be 3
        @($again.Features | Where-Object { $_.Status -eq 'Completed' -and $_.Attempts -ne 1 }) | Should -BeNullOrEmpty
    }
}

Describe 'about_StateCmdlets carries the same recipes' {
    It 'has the <Name> recipe exactly as the README (which the tests above run)' -ForEach @(
        @{ Name = 'scheduled' }, @{ Name = 'parallel' }, @{ Name = 'csv' }
    ) {
        $about = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../module/help/en-US/about_StateCmdlets.help.txt') -Raw
        # Compare line by line, ignoring the topic's indentation.
        $normalize = { param($text) (($text -split "`r?`n") | ForEach-Object { $_.Trim() } | Where-Object { $_ }) -join "`n" }
        $recipe = & $normalize (Get-Recipe $Name)
        (& $normalize $about).Contains($recipe) | Should -BeTrue -Because "about_StateCmdlets should show the README's '$Name' recipe"
    }
}
