BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    function New-WorkerScript([string] $Folder, [string] $Name, [string] $Body) {
        # A child pwsh script: imports the staged module, then runs $Body with $Path bound.
        $path = Join-Path $Folder $Name
        Set-Content -LiteralPath $path -Encoding utf8 -Value (@'
param([string] $Module, [string] $Path, [string] $Ready = '', [string] $Go = '', [int] $Count = 1)
$ErrorActionPreference = 'Stop'
Import-Module $Module
if ($Ready) { [IO.File]::WriteAllText($Ready, "$PID") }
if ($Go) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while (-not (Test-Path -LiteralPath $Go)) {
        if ($clock.Elapsed.TotalSeconds -gt 60) { throw 'No go signal within 60 s.' }
        Start-Sleep -Milliseconds 5
    }
}
'@ + "`n" + $Body)
        $path
    }
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Save-StateFile and Read-StateFile' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It 'round-trips nested objects, arrays, unicode and dates (as ISO 8601 strings), keeping property order' {
        $when = [datetime]::new(2026, 11, 3, 4, 5, 6, [DateTimeKind]::Utc)
        $doc = [ordered]@{
            zeta   = 1
            Name   = 'Zoë 東京 ✓'
            When   = $when
            Nested = [ordered]@{ List = @(1, 'two', $null, $true, @{ deep = 2.5 }); Empty = @() }
            Big    = 9007199254740993
        }
        Save-StateFile -Path $f -InputObject $doc -ErrorAction Stop
        $r = Read-StateFile -Path $f -ErrorAction Stop

        ($r.PSObject.Properties.Name -join ',') | Should -BeExactly 'zeta,Name,When,Nested,Big'
        $r.Name | Should -BeExactly 'Zoë 東京 ✓'
        $r.When | Should -BeOfType [string]
        $r.When | Should -BeExactly '2026-11-03T04:05:06.0000000Z'
        ([datetime]::Parse($r.When, [cultureinfo]::InvariantCulture, 'RoundtripKind')) | Should -Be $when
        $r.Nested.List.Count | Should -Be 5
        $r.Nested.List[1] | Should -BeExactly 'two'
        $r.Nested.List[2] | Should -BeNullOrEmpty
        $r.Nested.List[3] | Should -BeTrue
        $r.Nested.List[4].deep | Should -Be 2.5
        @($r.Nested.Empty).Count | Should -Be 0
        $r.Big | Should -Be 9007199254740993
        # Plain, readable JSON: the user's properties at the top level, no wrapper, no escapes.
        $text = Get-Content -LiteralPath $f -Raw -Encoding utf8
        $text | Should -Match '^\{\s*"zeta": 1,'
        $text | Should -Match '"Name": "Zoë 東京 ✓"'
        $text | Should -Not -Match 'schemaVersion'
    }

    It '-AsHashtable gives ordered hashtables, nested ones too' {
        Save-StateFile -Path $f -InputObject @{ a = @{ b = 1 } } -ErrorAction Stop
        $h = Read-StateFile -Path $f -AsHashtable
        $h | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        $h.a | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        $h.a.b | Should -Be 1
    }

    It 'saves several piped objects as one array, and reads it back as one object' {
        1..3 | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Save-StateFile -Path $f -ErrorAction Stop
        $r = @(Read-StateFile -Path $f)
        $r.Count | Should -Be 1
        $r[0].Count | Should -Be 3
        ($r[0].Id -join ',') | Should -BeExactly '1,2,3'
    }

    It '-SchemaVersion stamps schemaVersion first; the file is replaced atomically, owner-only, with a sidecar lock' {
        [pscustomobject]@{ Cursor = 'p7' } | Save-StateFile -Path $f -SchemaVersion '1.2.0' -ErrorAction Stop
        $r = Read-StateFile -Path $f
        ($r.PSObject.Properties.Name -join ',') | Should -BeExactly 'schemaVersion,Cursor'
        $r.schemaVersion | Should -BeExactly '1.2.0'
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'state.json,state.json.lock'
        if ($IsLinuxHost) {
            Get-UnixMode $f | Should -Be '600'
            Get-UnixMode "$f.lock" | Should -Be '600'
        }
    }

    It 'reads with wildcards and from Get-ChildItem, one object per file' {
        foreach ($n in 'a', 'b') { Save-StateFile -Path (Join-Path $d "$n.json") -InputObject @{ n = $n } }
        ((Read-StateFile -Path (Join-Path $d '*.json')).n -join ',') | Should -BeExactly 'a,b'
        ((Get-ChildItem -LiteralPath $d -Filter *.json | Read-StateFile).n -join ',') | Should -BeExactly 'a,b'
        Push-Location -LiteralPath $d
        try { (Read-StateFile a.json).n | Should -Be 'a' } finally { Pop-Location }
    }

    It 'reports a missing file as StateFileNotFound' {
        $null = Read-StateFile -LiteralPath (Join-Path $d 'none.json') -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        { Read-StateFile -Path (Join-Path $d 'none.json') -ErrorAction Stop } | Should -Throw -ErrorId 'StateFileNotFound,*'
    }

    It 'reports a corrupt file as StateFileCorrupt with the byte offset, and Update-StateFile leaves it as it is' {
        Set-Content -LiteralPath $f -Value '{"runs": 1,, "x": 2}' -NoNewline
        $before = (Get-FileHash -LiteralPath $f).Hash
        $null = Read-StateFile -Path $f -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileCorrupt,*'
        $err[0].Exception.Offset | Should -Be 11
        $err[0].Exception.Message | Should -BeLike "*$f*byte 11*"
        $err[0].TargetObject | Should -Be $f
        $err[0].ErrorDetails.RecommendedAction | Should -Not -BeLike '*batch*'
        { Update-StateFile -Path $f -ScriptBlock { $_.runs++ } -ErrorAction Stop } | Should -Throw -ErrorId 'StateFileCorrupt,*'
        (Get-FileHash -LiteralPath $f).Hash | Should -Be $before
    }

    It 'does not create a missing folder' {
        $null = Save-StateFile -Path (Join-Path $d 'no/such/state.json') -InputObject @{ a = 1 } -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileIOError,*'
        Join-Path $d 'no' | Should -Not -Exist
    }

    It '-WhatIf writes nothing' {
        Save-StateFile -Path $f -InputObject @{ a = 1 } -WhatIf
        Update-StateFile -Path $f -ScriptBlock { throw 'must not run' } -WhatIf
        @(Get-EntryNames $d).Count | Should -Be 0
    }
}

Describe 'Update-StateFile' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It 'starts a missing file from -InitialValue, changes $_ in place, and -PassThru emits what was written' {
        Update-StateFile -Path $f -InitialValue @{ Runs = 0 } -ScriptBlock { $_.Runs++ } | Should -BeNullOrEmpty
        $r = Update-StateFile -Path $f -ScriptBlock { param($state) $state.Runs += 10 } -PassThru
        $r.Runs | Should -Be 11
        (Read-StateFile -Path $f).Runs | Should -Be 11
        # Without -InitialValue a missing file starts as an empty ordered hashtable: keys are just assigned.
        $g = Join-Path $d 'new.json'
        (Update-StateFile -Path $g -AsHashtable -PassThru -ScriptBlock { $_.Runs = 1 + $_.Runs }).Runs | Should -Be 1
    }

    It 'replaces the document with the one object the script block outputs' {
        Save-StateFile -Path $f -InputObject @{ old = 1 }
        Update-StateFile -Path $f -ScriptBlock { [pscustomobject]@{ new = 2 } }
        ((Read-StateFile -Path $f).PSObject.Properties.Name -join ',') | Should -BeExactly 'new'
    }

    It 'refuses stray output, and a script block that throws, leaving the file as it was' {
        Save-StateFile -Path $f -InputObject @{ Runs = 1 }
        $before = (Get-FileHash -LiteralPath $f).Hash
        $null = Update-StateFile -Path $f -ScriptBlock { $_.Runs++; 'oops' } -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidStateDocument,*'
        $err[0].Exception.Message | Should -BeLike '*Out-Null*'
        { Update-StateFile -Path $f -ScriptBlock { $_.Runs++; throw 'boom' } -ErrorAction Stop } | Should -Throw -ErrorId 'StateUpdateFailed,*'
        (Get-FileHash -LiteralPath $f).Hash | Should -Be $before
        # The lock was released: the next update does not wait.
        Update-StateFile -Path $f -LockTimeout 0 -ScriptBlock { $_.Runs++ }
        (Read-StateFile -Path $f).Runs | Should -Be 2
    }

    It 'writes nothing when the block fails part-way: <Kind>' -ForEach @(
        @{ Kind = 'a method that throws (MethodInvocationException)'; Block = { $_.Balance -= 30; [int]::Parse('x'); $_.Log += 'debited 30' }; Says = '*Parse*' }
        @{ Kind = 'a property that cannot be set (SetValueInvocationException)'; Block = { $_.Balance -= 30; $_.Missing++; $_.Log += 'debited 30' }; Says = '*Missing*' }
        @{ Kind = 'a property of nothing'; Block = { $_.Balance -= 30; $_.Nested.X = 1; $_.Log += 'debited 30' }; Says = "*property 'X' cannot be found*" }
        @{ Kind = 'Write-Error (non-terminating)'; Block = { $_.Balance -= 30; Write-Error 'insufficient funds'; $_.Log += 'debited 30' }; Says = '*insufficient funds*' }
        @{ Kind = "a cmdlet's non-terminating error"; Block = { $_.Balance -= 30; Get-Item -LiteralPath '/no/such/statecmdlets/file'; $_.Log += 'debited 30' }; Says = '*/no/such/statecmdlets/file*' }
        @{ Kind = 'throw'; Block = { $_.Balance -= 30; throw 'boom'; $_.Log += 'debited 30' }; Says = '*boom*' }
    ) {
        Save-StateFile -Path $f -InputObject ([ordered]@{ Balance = 100; Log = @() })
        $before = Get-DirectorySnapshot $d
        # As in a script: Pester's own 'Stop' would stop the block by itself.
        $ErrorActionPreference = 'Continue'
        $out = Update-StateFile -Path $f -ScriptBlock $Block -PassThru -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateUpdateFailed,*'
        $err[0].TargetObject | Should -Be $f
        $err[0].Exception.Message | Should -BeLike "*$f*"
        $err[0].Exception.Message | Should -BeLike $Says
        $err[0].Exception.InnerException | Should -BeOfType ([System.Management.Automation.RuntimeException])
        Get-DirectorySnapshot $d | Should -Be $before
        $doc = Read-StateFile -Path $f
        $doc.Balance | Should -Be 100
        @($doc.Log).Count | Should -Be 0
        # The lock was released.
        Update-StateFile -Path $f -LockTimeout 0 -ScriptBlock { $_.Balance -= 30; $_.Log += 'debited 30' } -ErrorAction Stop
        (Read-StateFile -Path $f).Balance | Should -Be 70
    }

    It 'a block that fails for one file still updates the others' {
        $g = Join-Path $d 'other.json'
        Save-StateFile -Path $f -InputObject @{ Runs = 1; Fail = $true }
        Save-StateFile -Path $g -InputObject @{ Runs = 1; Fail = $false }
        Update-StateFile -Path $f, $g -ScriptBlock { $_.Runs++; if ($_.Fail) { throw 'this one fails' } } -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].TargetObject | Should -Be $f
        (Read-StateFile -Path $f).Runs | Should -Be 1
        (Read-StateFile -Path $g).Runs | Should -Be 2
    }

    It "runs the spec's example on a missing file without -InitialValue, and again: Runs = 2" {
        Push-Location -LiteralPath $d
        try {
            Update-StateFile -Path c.json -ScriptBlock { $_.Runs++ } -ErrorAction Stop
            (Get-Content -LiteralPath (Join-Path $d 'c.json') -Raw | ConvertFrom-Json -AsHashtable).Runs | Should -Be 1
            Update-StateFile -Path c.json -ScriptBlock { $_.Runs++ } -ErrorAction Stop
            (Read-StateFile -Path c.json).Runs | Should -Be 2
        }
        finally { Pop-Location }
        ((Read-StateFile -Path (Join-Path $d 'c.json')).PSObject.Properties.Name -join ',') | Should -BeExactly 'Runs'
    }

    It 'starts a missing file as an empty ordered hashtable whose keys ignore case' {
        $seen = Update-StateFile -Path $f -PassThru -ScriptBlock { $script:firstType = $_.GetType().FullName; $_.runs = 1; $_.Runs++ }
        $script:firstType | Should -Be 'System.Collections.Specialized.OrderedDictionary'
        # One key, whatever case wrote it last.
        @($seen.PSObject.Properties.Name).Count | Should -Be 1
        $seen.Runs | Should -Be 2
    }

    It 'with -SchemaVersion refuses a file of a newer major version, untouched' {
        Save-StateFile -Path $f -InputObject @{ x = 1 } -SchemaVersion '2.0.0'
        $before = (Get-FileHash -LiteralPath $f).Hash
        { Update-StateFile -Path $f -SchemaVersion '1.3.0' -ScriptBlock { $_.x++ } -ErrorAction Stop } | Should -Throw -ErrorId 'StateVersionTooNew,*'
        (Get-FileHash -LiteralPath $f).Hash | Should -Be $before
        (Update-StateFile -Path $f -SchemaVersion '2.1.0' -ScriptBlock { $_.x++ } -PassThru).schemaVersion | Should -Be '2.1.0'
    }

    It '8 pwsh processes each running Update-StateFile 200 times on one counter file lose no increment (1,600)' {
        $work = Split-Path -Parent $d
        $worker = New-WorkerScript $work 'counter.ps1' @'
for ($i = 0; $i -lt $Count; $i++) {
    Update-StateFile -Path $Path -InitialValue @{ Runs = 0 } -LockTimeout 60 -ScriptBlock { $_.Runs++ }
}
'@
        $go = Join-Path $work 'go'
        $procs = foreach ($k in 1..8) {
            $ready = Join-Path $work "ready-$k"
            [pscustomobject]@{ Ready = $ready; Process = Start-TestPwsh -ScriptPath $worker -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-Path', $f, '-Ready', $ready, '-Go', $go, '-Count', '200') }
        }
        try {
            # Start all, then let them go together, then wait for all.
            Wait-Until -TimeoutSeconds 60 -What 'all 8 workers to be ready' -Condition {
                foreach ($p in $procs) { if ($p.Process.HasExited) { throw "A worker exited early with code $($p.Process.ExitCode)." } }
                @($procs | Where-Object { Test-Path -LiteralPath $_.Ready }).Count -eq 8
            }
            [IO.File]::WriteAllText($go, 'go')
            foreach ($p in $procs) { Wait-TestProcess -Process $p.Process -TimeoutSeconds 120 -What 'counter worker' }
        }
        finally {
            foreach ($p in $procs) { if (-not $p.Process.HasExited) { try { $p.Process.Kill() } catch { } } }
        }
        foreach ($p in $procs) { $p.Process.ExitCode | Should -Be 0 }
        $runs = (Read-StateFile -Path $f).Runs
        Write-Host "    8 processes x 200 Update-StateFile: counter = $runs"
        $runs | Should -Be 1600
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'state.json,state.json.lock'
    }
}

Describe 'A failing block in a plain script' {
    # Inside Pester every test runs within a try, which makes PowerShell stop a block at its first
    # statement-terminating error by itself; a plain script has none, so run one in a child pwsh.
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'Update-StateFile and Invoke-StateMigration -Step write nothing, and report a non-terminating error' {
        $script = Join-Path (Split-Path -Parent $d) 'plain.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $Folder)
Import-Module $Module
Set-Location -LiteralPath $Folder
Save-StateFile a.json @{ Balance = 100; Log = @() }
Update-StateFile a.json { $_.Balance -= 30; [int]::Parse('x'); $_.Log += 'debited 30' } -ErrorVariable updateErrors 2>$null
Save-StateFile m.json @{ A = 1 }
Invoke-StateMigration m.json -Step @{ '1.0.0' = { param($doc) $doc.A = 2; $doc.Missing.X = 1; '1.1.0' } } -Force -ErrorVariable migrateErrors 2>$null
'went on'
[pscustomobject]@{
    UpdateErrors  = @($updateErrors | ForEach-Object FullyQualifiedErrorId)
    MigrateErrors = @($migrateErrors | ForEach-Object FullyQualifiedErrorId)
    A             = Get-Content -LiteralPath a.json -Raw | ConvertFrom-Json
    M             = Get-Content -LiteralPath m.json -Raw | ConvertFrom-Json
    Files         = @(Get-ChildItem -Force -Name | Sort-Object)
} | ConvertTo-Json -Compress -Depth 5
'@
        $r = Invoke-TestPwsh -ScriptPath $script -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-Folder', $d) -What 'plain script'
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $lines = @($r.StdOut -split '\r?\n' | Where-Object { $_ })
        $lines[0] | Should -Be 'went on'
        $result = $lines[-1] | ConvertFrom-Json
        @($result.UpdateErrors).Count | Should -Be 1
        $result.UpdateErrors[0] | Should -BeLike 'StateUpdateFailed,*'
        $result.A.Balance | Should -Be 100
        @($result.A.Log).Count | Should -Be 0
        @($result.MigrateErrors).Count | Should -Be 1
        $result.MigrateErrors[0] | Should -BeLike 'InvalidMigrationStep,*'
        $result.M.A | Should -Be 1
        $result.M.PSObject.Properties.Name | Should -Not -Contain 'schemaVersion'
        ($result.Files -join ',') | Should -BeExactly 'a.json,a.json.lock,m.json,m.json.lock'
    }
}

Describe 'Test-StateFile' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It '-Quiet is $true for a sound file, and $false when a named file does not exist (-Path or -LiteralPath)' {
        Save-StateFile -Path $f -InputObject @{ a = 1 }
        Test-StateFile -Path $f -Quiet | Should -BeTrue
        $missing = Join-Path $d 'none.json'
        $calls = { [CmdletBinding()] param() Test-StateFile -Path $missing -Quiet },
        { [CmdletBinding()] param() Test-StateFile -LiteralPath $missing -Quiet },
        { [CmdletBinding()] param() Test-StateFile -Path $f, $missing -Quiet }
        foreach ($call in $calls) {
            $out = @(& $call -ErrorVariable err -ErrorAction SilentlyContinue)
            $out.Count | Should -Be 1 -Because "$call"
            $out[0] | Should -BeFalse -Because "$call"
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileNotFound,*' -Because "$call"
        }
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'state.json,state.json.lock'
    }
}

Describe 'A path naming a folder' {
    BeforeEach {
        $d = New-TestStateDirectory
        $null = New-Item -ItemType Directory -Path (Join-Path $d 'sub')
        Push-Location -LiteralPath $d
    }
    AfterEach {
        Pop-Location
        Remove-TestStateDirectory $d
    }

    It '<Name> <Path> is a non-terminating StateFileIsFolder naming it, and creates nothing' -ForEach @(
        foreach ($path in './sub', './sub/') {
            @{ Name = 'Read-StateFile'; Path = $path; Call = { [CmdletBinding()] param($p) Read-StateFile -Path $p } }
            @{ Name = 'Read-StateFile -LiteralPath'; Path = $path; Call = { [CmdletBinding()] param($p) Read-StateFile -LiteralPath $p } }
            @{ Name = 'Save-StateFile'; Path = $path; Call = { [CmdletBinding()] param($p) Save-StateFile -Path $p -InputObject @{ a = 1 } } }
            @{ Name = 'Update-StateFile'; Path = $path; Call = { [CmdletBinding()] param($p) Update-StateFile -Path $p -ScriptBlock { $_.Runs++ } } }
            @{ Name = 'Use-StateLock'; Path = $path; Call = { [CmdletBinding()] param($p) Use-StateLock -Path $p -ScriptBlock { 'ran' } } }
            @{ Name = 'Test-StateFile'; Path = $path; Call = { [CmdletBinding()] param($p) Test-StateFile -Path $p } }
            @{ Name = 'Invoke-StateMigration -Step'; Path = $path; Call = { [CmdletBinding()] param($p) Invoke-StateMigration -Path $p -Step @{ '1.0.0' = { '1.1.0' } } -Force } }
        }
    ) {
        $out = @(& $Call $Path -ErrorVariable err -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileIsFolder,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$($err[0].TargetObject)".TrimEnd('/', '\') | Should -Be (Join-Path $d 'sub')
        $err[0].Exception.Message | Should -BeLike '*sub*names a folder*'
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'sub'
        @(Get-EntryNames (Join-Path $d 'sub')).Count | Should -Be 0
    }

    It 'Test-StateFile -Quiet is $false for it' {
        Test-StateFile -Path ./sub -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
        Test-StateFile -Path ./sub/ -Quiet -ErrorAction SilentlyContinue | Should -BeFalse
    }
}

Describe 'Use-StateLock' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json'; $work = Split-Path -Parent $d }
    AfterEach { Remove-TestStateDirectory $d }

    It 'returns the script block output, with $_ the full path, and creates only the lock file' {
        Push-Location -LiteralPath $d
        try { $out = @(Use-StateLock -Path state.json -ScriptBlock { 'a'; $_ }) } finally { Pop-Location }
        ($out -join '|') | Should -BeExactly "a|$f"
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'state.json.lock'
    }

    It 'excludes an Update-StateFile of another process while the script block runs' {
        Save-StateFile -Path $f -InputObject @{ Runs = 0 }
        $quick = New-WorkerScript $work 'quick.ps1' @'
try { Update-StateFile -Path $Path -LockTimeout 0.5 -ScriptBlock { $_.Runs++ }; 'updated' }
catch { $_.FullyQualifiedErrorId }
'@
        $patient = New-WorkerScript $work 'patient.ps1' @'
Update-StateFile -Path $Path -LockTimeout 60 -ScriptBlock { $_.Runs++ }
[IO.File]::WriteAllText("$Ready.done", [DateTime]::UtcNow.Ticks.ToString())
'@
        $ready = Join-Path $work 'patient-ready'
        $released = Use-StateLock -Path $f -Timeout 5 -ScriptBlock {
            # A process that gives up after 0.5 s fails while we hold the lock...
            $r = Invoke-TestPwsh -ScriptPath $quick -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-Path', $f) -TimeoutSeconds 60
            $r.StdOut.Trim() | Should -BeLike 'StateLockTimeout,*'
            # ...and one that waits is still waiting when we let go.
            $script:patientProcess = Start-TestPwsh -ScriptPath $patient -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-Path', $f, '-Ready', $ready)
            Wait-Until -TimeoutSeconds 60 -What 'the waiting writer to start' -Condition { Test-Path -LiteralPath $ready }
            Start-Sleep -Milliseconds 500
            (Read-StateFile -Path $f).Runs | Should -Be 0
            "$ready.done" | Should -Not -Exist
            [DateTime]::UtcNow.Ticks
        }
        Wait-TestProcess -Process $script:patientProcess -TimeoutSeconds 60 -What 'waiting writer'
        $script:patientProcess.ExitCode | Should -Be 0
        [long](Get-Content -LiteralPath "$ready.done") | Should -BeGreaterThan $released
        (Read-StateFile -Path $f).Runs | Should -Be 1
    }

    It 'nesting Update-StateFile on the same file inside gives StateLockReentrant at once instead of hanging' {
        Save-StateFile -Path $f -InputObject @{ Runs = 0 }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $err = Use-StateLock -Path $f -Timeout 5 -ScriptBlock {
            try { Update-StateFile -Path $_ -LockTimeout 30 -ScriptBlock { $_.Runs++ } -ErrorAction Stop; 'no error' }
            catch { $_ }
        }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $err.FullyQualifiedErrorId | Should -BeLike 'StateLockReentrant,*'
        $err.CategoryInfo.Category | Should -Be 'DeadlockDetected'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*Update-StateFile*'
        # Read-StateFile takes no lock, so it works inside; and the lock is free afterwards.
        (Use-StateLock -Path $f -ScriptBlock { (Read-StateFile -LiteralPath $_).Runs }) | Should -Be 0
        Update-StateFile -Path $f -LockTimeout 0 -ScriptBlock { $_.Runs++ }
        (Read-StateFile -Path $f).Runs | Should -Be 1
    }

    It 'releases the lock when the script block throws, and when the pipeline is stopped (Ctrl+C)' {
        { Use-StateLock -Path $f -ScriptBlock { throw 'inside' } } | Should -Throw 'inside'
        Use-StateLock -Path $f -Timeout 0 -ScriptBlock { 'free' } | Should -Be 'free'

        $marker = Join-Path $work 'holding'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($Module, $Path, $Marker)
                    Import-Module $Module
                    Use-StateLock -Path $Path -ScriptBlock { [IO.File]::WriteAllText($Marker, 'x'); Start-Sleep -Seconds 60 }
                }).AddArgument($ModuleManifestPath).AddArgument($f).AddArgument($marker)
            $async = $ps.BeginInvoke()
            Wait-Until -TimeoutSeconds 30 -What 'the runspace to hold the lock' -Condition { Test-Path -LiteralPath $marker }
            { Use-StateLock -Path $f -Timeout 0.3 -ScriptBlock { } -ErrorAction Stop } | Should -Throw -ErrorId 'StateLockTimeout,*'
            $ps.Stop()
            Use-StateLock -Path $f -Timeout 5 -ScriptBlock { 'free again' } | Should -Be 'free again'
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Python interop' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json'; $holder = $null }
    AfterEach {
        if ($holder -and -not $holder.HasExited) { try { $holder.Kill() } catch { }; $null = $holder.WaitForExit(10000) }
        Remove-TestStateDirectory $d
    }

    It 'a python3 fcntl.flock on <file>.lock blocks Update-StateFile (StateLockTimeout) until it releases' {
        if (-not $python) { Set-ItResult -Skipped -Because 'python3 is not on PATH (or this is Windows)'; return }
        Save-StateFile -Path $f -InputObject @{ Runs = 0 }
        $holder = Start-PythonLockHolder -LockPath "$f.lock" -Seconds 3
        $before = (Get-FileHash -LiteralPath $f).Hash
        $null = Update-StateFile -Path $f -LockTimeout 0.5 -ScriptBlock { $_.Runs++ } -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateLockTimeout,*'
        $err[0].Exception.Message | Should -BeLike "*$f.lock*"
        (Get-FileHash -LiteralPath $f).Hash | Should -Be $before
        # Readers take no lock.
        (Read-StateFile -Path $f).Runs | Should -Be 0

        if (-not $holder.WaitForExit(20000)) { throw 'python3 did not exit within 20 s.' }
        Update-StateFile -Path $f -LockTimeout 0.5 -ScriptBlock { $_.Runs++ } -ErrorAction Stop
        (Read-StateFile -Path $f).Runs | Should -Be 1
    }

    It 'json.load reads every file Save-StateFile and Update-StateFile wrote, with the properties at the top level' {
        if (-not $python) { Set-ItResult -Skipped -Because 'python3 is not on PATH (or this is Windows)'; return }
        $files = @{
            saved     = Join-Path $d 'saved.json'
            versioned = Join-Path $d 'versioned.json'
            updated   = Join-Path $d 'updated.json'
            array     = Join-Path $d 'array.json'
        }
        Save-StateFile -Path $files.saved -InputObject ([ordered]@{ Name = 'Zoë ✓'; When = [datetime]::new(2026, 1, 2, 3, 4, 5, [DateTimeKind]::Utc); Nested = @{ List = 1, 2 } })
        Save-StateFile -Path $files.versioned -InputObject @{ Cursor = 'p7' } -SchemaVersion '1.2.0'
        Update-StateFile -Path $files.updated -InitialValue @{ Runs = 0 } -SchemaVersion '1.0.0' -ScriptBlock { $_.Runs++ }
        1..2 | ForEach-Object { @{ Id = $_ } } | Save-StateFile -Path $files.array
        $code = @'
import json, sys
out = {}
for name, path in zip(sys.argv[1::2], sys.argv[2::2]):
    with open(path, encoding='utf-8') as f:
        out[name] = json.load(f)
print(json.dumps(out, ensure_ascii=True))
'@
        $pyArgs = @('-c', $code) + @(foreach ($k in $files.Keys) { $k; $files[$k] })
        $json = & $python.Source @pyArgs
        $LASTEXITCODE | Should -Be 0
        $loaded = $json | ConvertFrom-Json -AsHashtable
        $loaded.saved.Name | Should -BeExactly 'Zoë ✓'
        # (ConvertFrom-Json would turn the date back into a DateTime: check Python's own text.)
        "$json" | Should -Match '"When": "2026-01-02T03:04:05\.0000000Z"'
        ($loaded.saved.Nested.List -join ',') | Should -BeExactly '1,2'
        $loaded.versioned.schemaVersion | Should -BeExactly '1.2.0'
        $loaded.versioned.Cursor | Should -BeExactly 'p7'
        $loaded.updated.Runs | Should -Be 1
        $loaded.updated.schemaVersion | Should -BeExactly '1.0.0'
        ($loaded.array.Id -join ',') | Should -BeExactly '1,2'
    }
}

Describe 'Invoke-StateMigration -Step' {
    BeforeAll {
        $steps = @{
            '1.0.0' = { param($doc) $doc.runs = $doc.count; $doc.Remove('count'); '1.1.0' }
            '1.1.0' = { param($doc) $doc.tags = @('new'); '1.2.0' }
        }
    }
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'app.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It '-WhatIf runs the steps on a copy only and changes nothing' {
        Save-StateFile -Path $f -InputObject ([ordered]@{ count = 3; name = 'x' })
        $before = Get-DirectorySnapshot $d
        $out = @(Invoke-StateMigration -Path $f -Step $steps -WhatIf -ErrorAction Stop)
        $out.Count | Should -Be 0
        Get-DirectorySnapshot $d | Should -Be $before
        "$f.v1.0.0.bak" | Should -Not -Exist
    }

    It 'without -WhatIf backs up the exact original, rewrites through every step and emits MigrationOutcome' {
        Save-StateFile -Path $f -InputObject ([ordered]@{ count = 3; name = 'x' })
        $original = (Get-FileHash -LiteralPath $f).Hash
        $r = @(Invoke-StateMigration -Path $f -Step $steps -Force -ErrorAction Stop)
        $r.Count | Should -Be 1
        $r[0] | Should -BeOfType ([StateCmdlets.Core.Versioning.MigrationOutcome])
        $r[0].Path | Should -Be $f
        "$($r[0].FromVersion)" | Should -Be '1.0.0'
        "$($r[0].ToVersion)" | Should -Be '1.2.0'
        "$($r[0].Action)" | Should -Be 'Migrated'
        $r[0].BackupPath | Should -Be "$f.v1.0.0.bak"
        (Get-FileHash -LiteralPath $r[0].BackupPath).Hash | Should -Be $original
        $doc = Read-StateFile -Path $f
        ($doc.PSObject.Properties.Name -join ',') | Should -BeExactly 'schemaVersion,name,runs,tags'
        $doc.schemaVersion | Should -Be '1.2.0'
        $doc.runs | Should -Be 3
        # Piped from Get-ChildItem, a second run finds it current.
        "$((Get-ChildItem -LiteralPath $d -Filter *.json | Invoke-StateMigration -Step $steps -TargetVersion 1.2.0 -Force).Action)" | Should -Be 'UpToDate'
    }

    It 'refuses a file from a newer major version than the steps reach, untouched' {
        Save-StateFile -Path $f -InputObject @{ runs = 1 } -SchemaVersion '2.0.0'
        $before = Get-DirectorySnapshot $d
        $null = Invoke-StateMigration -Path $f -Step $steps -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateVersionTooNew,*'
        $err[0].TargetObject | Should -Be $f
        Get-DirectorySnapshot $d | Should -Be $before
    }

    It 'reports a step with stray output, and a version no step starts from, changing nothing' {
        Save-StateFile -Path $f -InputObject @{ count = 1 }
        $g = Join-Path $d 'other.json'
        Save-StateFile -Path $g -InputObject @{ x = 1 } -SchemaVersion '1.0.5'
        $before = Get-DirectorySnapshot $d
        $bad = @{ '1.0.0' = { param($doc) $doc; '1.1.0' } }
        $null = Invoke-StateMigration -LiteralPath $f -Step $bad -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidMigrationStep,*'
        $err[0].Exception.Message | Should -BeLike '*2 objects*Out-Null*'
        # 1.0.5 is older than the newest step (1.1.0) and no step starts from it.
        $null = Invoke-StateMigration -LiteralPath $g -Step $steps -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateVersionUnknown,*'
        Get-DirectorySnapshot $d | Should -Be $before
        { Invoke-StateMigration -Path $f -Step @{ 'one' = { '1.1.0' } } -Force } | Should -Throw -ErrorId 'InvalidMigrationStep,*'
    }
    It 'writes nothing when a step fails part-way: <Kind>' -ForEach @(
        @{ Kind = 'a property of nothing'; Step = { param($doc) $doc.A = 2; $doc.Missing.X = 1; '1.1.0' }; Says = "*property 'X' cannot be found*" }
        @{ Kind = 'Write-Error (non-terminating)'; Step = { param($doc) $doc.A = 2; Write-Error 'step says no'; '1.1.0' }; Says = '*step says no*' }
        @{ Kind = 'a method that throws'; Step = { param($doc) $doc.A = 2; $doc.N = [int]::Parse('x'); '1.1.0' }; Says = '*Parse*' }
    ) {
        Save-StateFile -Path $f -InputObject @{ A = 1 }
        $before = Get-DirectorySnapshot $d
        # As in a script: Pester's own 'Stop' would stop the step by itself.
        $ErrorActionPreference = 'Continue'
        foreach ($whatIf in $false, $true) {
            $out = @(Invoke-StateMigration -Path $f -Step @{ '1.0.0' = $Step } -Force -WhatIf:$whatIf -ErrorVariable err -ErrorAction SilentlyContinue)
            $out.Count | Should -Be 0
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidMigrationStep,*'
            $err[0].TargetObject | Should -Be $f
            $err[0].Exception.Message | Should -BeLike "*$f*step from 1.0.0 failed*"
            $err[0].Exception.Message | Should -BeLike $Says
            Get-DirectorySnapshot $d | Should -Be $before
        }
        (Read-StateFile -Path $f).A | Should -Be 1
    }

    It 'a second migration from the same version keeps that original too, under a new name it reports' {
        $s = Join-Path $d 's.json'
        $drop = @{ '1.0.0' = { param($doc) $doc.Remove('Secret'); '1.1.0' } }
        Save-StateFile $s @{ Secret = 'first' }
        $first = Invoke-StateMigration $s -Step $drop -Force -ErrorAction Stop
        $first.BackupPath | Should -Be "$s.v1.0.0.bak"
        Save-StateFile $s @{ Secret = 'second-important' }
        $original = (Get-FileHash -LiteralPath $s).Hash
        $second = Invoke-StateMigration $s -Step $drop -Force -ErrorAction Stop

        "$($second.Action)" | Should -Be 'Migrated'
        $second.BackupPath | Should -Not -Be "$s.v1.0.0.bak"
        $second.BackupPath | Should -Match ('^' + [regex]::Escape("$s.v1.0.0.") + '\d{8}T\d{9}Z\.bak$')
        (Get-FileHash -LiteralPath $second.BackupPath).Hash | Should -Be $original
        (Read-StateFile -LiteralPath $second.BackupPath).Secret | Should -BeExactly 'second-important'
        (Read-StateFile -LiteralPath "$s.v1.0.0.bak").Secret | Should -BeExactly 'first'
        if ($IsLinuxHost) { Get-UnixMode $second.BackupPath | Should -Be '600' }

        # The same original once more: the backup that holds it is reused, no third copy.
        Save-StateFile $s @{ Secret = 'first' }
        $third = Invoke-StateMigration $s -Step $drop -Force -ErrorAction Stop
        $third.BackupPath | Should -Be "$s.v1.0.0.bak"
        @(Get-ChildItem -LiteralPath $d -Filter 's.json.v*.bak').Count | Should -Be 2
    }

    It 'a wildcard skips lock files, backups, temp files and copies set aside; a literal path is honoured' {
        $x = Join-Path $d 'x.json'
        Save-StateFile -Path $x -InputObject @{ count = 1 }
        $null = Invoke-StateMigration -Path $x -Step $steps -Force -ErrorAction Stop
        Save-StateFile -Path $f -InputObject @{ count = 2 }
        Set-Content -LiteralPath (Join-Path $d '.x.json.0123456789ab.tmp') -Value 'half a write'
        Set-Content -LiteralPath (Join-Path $d 'x.json.corrupt-20260101T000000000Z') -Value '{ damaged'
        Set-Content -LiteralPath (Join-Path $d 'x.json.v1.0.0.20260101T000000000Z.bak') -Value '{"count": 0}'
        $null = New-Item -ItemType Directory -Path (Join-Path $d 'folder')
        $names = @(Get-EntryNames $d)
        $names | Should -Contain 'x.json.v1.0.0.bak'
        $names | Should -Contain 'x.json.lock'
        $names | Should -Contain 'app.json.lock'
        $auxiliary = @{}
        foreach ($name in $names | Where-Object { $_ -notin 'app.json', 'x.json', 'folder' }) { $auxiliary[$name] = (Get-FileHash -LiteralPath (Join-Path $d $name)).Hash }

        $r = @(Invoke-StateMigration -Path (Join-Path $d '*') -Step $steps -Force -ErrorVariable err -ErrorAction SilentlyContinue)
        $err.Count | Should -Be 0
        ($r | ForEach-Object { '{0}={1}' -f (Split-Path -Leaf $_.Path), $_.Action } | Sort-Object) -join ',' | Should -BeExactly 'app.json=Migrated,x.json=UpToDate'
        # Only app.json's backup is new; every auxiliary file is as it was.
        @(Get-EntryNames $d) -join ',' | Should -BeExactly (@($names + 'app.json.v1.0.0.bak' | Sort-Object) -join ',')
        foreach ($name in $auxiliary.Keys) { (Get-FileHash -LiteralPath (Join-Path $d $name)).Hash | Should -Be $auxiliary[$name] -Because $name }

        $read = @(Read-StateFile -Path (Join-Path $d '*') -ErrorVariable err -ErrorAction SilentlyContinue)
        $err.Count | Should -Be 0
        $read.Count | Should -Be 2
        ($read.runs | Sort-Object) -join ',' | Should -Be '1,2'

        # Test-StateFile reports the temp file as x.json's orphan, and no other file as a state file.
        $problems = @(Test-StateFile -Path (Join-Path $d '*') -ErrorVariable err -ErrorAction SilentlyContinue)
        $err.Count | Should -Be 0
        ($problems | ForEach-Object { "$($_.Kind) $(Split-Path -Leaf $_.Path)" }) -join ',' | Should -BeExactly 'OrphanTempFile .x.json.0123456789ab.tmp'

        # Named without wildcards, each is read as it is.
        (Read-StateFile -LiteralPath (Join-Path $d 'x.json.v1.0.0.bak')).count | Should -Be 1
        (Read-StateFile -Path (Join-Path $d 'x.json.v1.0.0.20260101T000000000Z.bak')).count | Should -Be 0
        $null = Read-StateFile -Path (Join-Path $d 'x.json.corrupt-20260101T000000000Z') -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileCorrupt,*'
    }

    It '-WhatIf says what would change: removed, added and changed paths, a long list cut short' {
        Save-StateFile -Path $f -InputObject ([ordered]@{ A = @{ X = 1; Y = 'same' }; B = 2; Keep = 'k' })
        $many = Join-Path $d 'many.json'
        Save-StateFile -Path $many -InputObject @{ n = 0 }
        $script = Join-Path (Split-Path -Parent $d) 'whatif.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $Path, [string] $Many)
$ErrorActionPreference = 'Stop'
Import-Module $Module
Invoke-StateMigration -Path $Path -Step @{ '1.0.0' = { param($doc) $doc.Remove('B'); $doc.C = 3; $doc.A.X = 2; '1.1.0' } } -WhatIf
Invoke-StateMigration -LiteralPath $Many -Step @{ '1.0.0' = { param($doc) foreach ($i in 1..15) { $doc["k$i"] = $i }; '1.1.0' } } -WhatIf
Invoke-StateMigration -LiteralPath $Many -Step @{ '1.0.0' = { param($doc) '1.1.0' } } -WhatIf
'@
        $before = Get-DirectorySnapshot $d
        $r = Invoke-TestPwsh -ScriptPath $script -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-Path', $f, '-Many', $many) -What 'Invoke-StateMigration -WhatIf'
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $lines = @(($r.StdOut -replace '\s*\r?\n\s*', ' ') -split '(?=What if:)' | Where-Object { $_ -like 'What if:*' })
        $lines.Count | Should -Be 3
        $lines[0] | Should -BeLike '*Migrate from schema 1.0.0 to 1.1.0, which would remove B, add C, change A.X; original kept as*app.json.v1.0.0.bak*'
        $lines[0] | Should -BeLike "*target*app.json*"
        $lines[1] | Should -BeLike '*which would add k1, k2, k3, k4, k5, k6, k7, k8, k9, k10 and 5 more;*'
        $lines[2] | Should -BeLike '*which would change nothing but schemaVersion;*'
        Get-DirectorySnapshot $d | Should -Be $before
    }
}

Describe 'Symbolic links and permissions' -Skip:($IsWindows -eq $true) {
    # Windows needs privileges to make links; the xunit tests cover the read-only attribute there.
    BeforeAll {
        $steps = @{ '1.0.0' = { param($doc) $doc.tags = @('new'); '1.1.0' } }
    }
    BeforeEach {
        $d = New-TestStateDirectory; $work = Split-Path -Parent $d
        $real = Join-Path $d 'real.json'; $link = Join-Path $d 'link.json'
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'Update-StateFile through a symbolic link changes the target, keeps the link, and locks next to the target' {
        Save-StateFile -Path $real -InputObject @{ Runs = 1 }
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $real
        Update-StateFile -Path $link -ScriptBlock { $_.Runs++ } -ErrorAction Stop
        Save-StateFile -Path $link -InputObject @{ Runs = 5 } -ErrorAction Stop
        (Get-Item -LiteralPath $link).LinkType | Should -Be 'SymbolicLink'
        (Get-Item -LiteralPath $link).Target | Should -Be $real
        (Read-StateFile -Path $real).Runs | Should -Be 5
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'link.json,real.json,real.json.lock'
        # A migration through the link keeps its backup next to the target too.
        $r = Invoke-StateMigration -Path $link -Step $steps -Force -ErrorAction Stop
        $r.Path | Should -Be $real
        $r.BackupPath | Should -Be "$real.v1.0.0.bak"
        (Read-StateFile -Path $link).tags | Should -Be 'new'
        (Get-Item -LiteralPath $link).LinkType | Should -Be 'SymbolicLink'
    }

    It 'two paths to one file share one lock: Update-StateFile on the link times out while Use-StateLock holds the target' {
        Save-StateFile -Path $real -InputObject @{ Runs = 0 }
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $real
        $quick = New-WorkerScript $work 'quick.ps1' @'
try { Update-StateFile -Path $Path -LockTimeout 1 -ScriptBlock { $_.Runs++ } -ErrorAction Stop; 'updated' }
catch { $_.FullyQualifiedErrorId + '|' + $_.TargetObject }
'@
        Use-StateLock -Path $real -Timeout 5 -ScriptBlock {
            $r = Invoke-TestPwsh -ScriptPath $quick -ArgumentList @('-Module', $env:STATECMDLETS_TEST_MODULE, '-Path', $link) -TimeoutSeconds 60
            $r.StdOut.Trim() | Should -BeLike "StateLockTimeout,*|$real.lock"
            # In this thread the other path is the same lock, refused at once.
            { Update-StateFile -Path $link -LockTimeout 30 -ScriptBlock { $_.Runs++ } -ErrorAction Stop } | Should -Throw -ErrorId 'StateLockReentrant,*'
        }
        (Read-StateFile -Path $real).Runs | Should -Be 0
        Update-StateFile -Path $link -LockTimeout 1 -ScriptBlock { $_.Runs++ } -ErrorAction Stop
        (Read-StateFile -Path $real).Runs | Should -Be 1
        "$link.lock" | Should -Not -Exist
    }

    It 'a symbolic link to nothing is StateFileNotFound for every command, creating nothing' {
        $null = New-Item -ItemType SymbolicLink -Path $link -Target (Join-Path $d 'missing.json')
        $null = Save-StateFile -Path $link -InputObject @{ a = 1 } -ErrorVariable e1 -ErrorAction SilentlyContinue
        $null = Update-StateFile -Path $link -ScriptBlock { throw 'must not run' } -ErrorVariable e2 -ErrorAction SilentlyContinue
        $null = Use-StateLock -Path $link -ScriptBlock { throw 'must not run' } -ErrorVariable e3 -ErrorAction SilentlyContinue
        $null = Read-StateFile -LiteralPath $link -ErrorVariable e4 -ErrorAction SilentlyContinue
        foreach ($err in @($e1) + @($e2) + @($e3) + @($e4)) {
            $err.FullyQualifiedErrorId | Should -BeLike 'StateFileNotFound,*'
            $err.Exception.Message | Should -BeLike "*$link*symbolic link*missing.json*does not exist*"
        }
        @($e1).Count + @($e2).Count + @($e3).Count + @($e4).Count | Should -Be 4
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'link.json'
    }

    It 'a 0644 file stays 0644 after Save-StateFile, Update-StateFile and Invoke-StateMigration -Step; a new one is 0600' {
        Save-StateFile -Path $real -InputObject @{ Runs = 1 }
        Get-UnixMode $real | Should -Be '600'
        [IO.File]::SetUnixFileMode($real, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        Get-UnixMode $real | Should -Be '644'
        Save-StateFile -Path $real -InputObject @{ Runs = 2 } -ErrorAction Stop
        Get-UnixMode $real | Should -Be '644'
        Update-StateFile -Path $real -ScriptBlock { $_.Runs++ } -ErrorAction Stop
        Get-UnixMode $real | Should -Be '644'
        $r = Invoke-StateMigration -Path $real -Step $steps -Force -ErrorAction Stop
        "$($r.Action)" | Should -Be 'Migrated'
        Get-UnixMode $real | Should -Be '644'
        Get-UnixMode $r.BackupPath | Should -Be '600'
        (Read-StateFile -Path $real).Runs | Should -Be 3
    }

    It 'a read-only (0444) file is refused with StateFileAccessDenied by Save, Update and migration, unchanged' {
        Save-StateFile -Path $real -InputObject @{ Runs = 1 }
        [IO.File]::SetUnixFileMode($real, [IO.UnixFileMode]'UserRead, GroupRead, OtherRead')
        $before = (Get-FileHash -LiteralPath $real).Hash
        $null = Save-StateFile -Path $real -InputObject @{ Runs = 2 } -ErrorVariable e1 -ErrorAction SilentlyContinue
        $null = Update-StateFile -Path $real -ScriptBlock { throw 'must not run' } -ErrorVariable e2 -ErrorAction SilentlyContinue
        $null = Invoke-StateMigration -Path $real -Step $steps -Force -ErrorVariable e3 -ErrorAction SilentlyContinue
        foreach ($err in @($e1) + @($e2) + @($e3)) {
            $err.FullyQualifiedErrorId | Should -BeLike 'StateFileAccessDenied,*'
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err.TargetObject | Should -Be $real
            $err.Exception.Message | Should -BeLike "*'$real'*the file is read-only*"
        }
        @($e1).Count + @($e2).Count + @($e3).Count | Should -Be 3
        (Get-FileHash -LiteralPath $real).Hash | Should -Be $before
        Get-UnixMode $real | Should -Be '444'
        @(Get-EntryNames $d) -join ',' | Should -BeExactly 'real.json,real.json.lock'
        (Read-StateFile -Path $real).Runs | Should -Be 1
    }
}

Describe 'about_StateCmdlets' {
    It 'has the STATE FILES FOR ANY SCRIPT section naming the four cmdlets' {
        $text = Get-Help -Name about_StateCmdlets | Out-String
        $text | Should -Match 'STATE FILES FOR ANY SCRIPT'
        foreach ($name in 'Read-StateFile', 'Save-StateFile', 'Update-StateFile', 'Use-StateLock') { $text | Should -Match $name }
    }
}

Describe 'README: State for any script' {
    # The README's code is the code under test, cut out between its markers and run as written.
    BeforeAll {
        function Get-ReadmeBlock([string] $Name) {
            $readme = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../README.md') -Raw
            $m = [regex]::Match($readme, "<!-- statefile:$($Name):begin -->\s*``````powershell\r?\n(?<code>.*?)``````\s*<!-- statefile:$($Name):end -->", 'Singleline')
            if (-not $m.Success) { throw "README.md has no statefile:$Name block." }
            [scriptblock]::Create($m.Groups['code'].Value)
        }
        $d = New-TestStateDirectory
        $savedModulePath = $env:PSModulePath
        # `Import-Module StateCmdlets` finds the staged module by name, as a user's would.
        $env:PSModulePath = (Split-Path (Split-Path (Split-Path $ModuleManifestPath))) + [IO.Path]::PathSeparator + $env:PSModulePath
    }
    AfterAll {
        $env:PSModulePath = $savedModulePath
        Remove-TestStateDirectory $d
    }

    It 'runs the example twice: runs counted, every file seen once' {
        $expected = @(Get-ChildItem $PSHOME -Filter *.json | ForEach-Object Name)
        $expected.Count | Should -BeGreaterThan 0
        Push-Location -LiteralPath $d
        try {
            $first = & (Get-ReadmeBlock 'example') -ErrorAction Stop
            $second = & (Get-ReadmeBlock 'example') -ErrorAction Stop
        }
        finally { Pop-Location }
        $first.Runs | Should -Be 1
        $second.Runs | Should -Be 2
        (@($second.Seen) -join ',') | Should -BeExactly ($expected -join ',')
        $second.LastStart | Should -Not -BeNullOrEmpty
    }

    It 'runs the migration: backup, then the file in 2.0.0' {
        Push-Location -LiteralPath $d
        try { $out = @(& (Get-ReadmeBlock 'migration') -ErrorAction Stop) } finally { Pop-Location }
        "$($out[-1].Action)" | Should -Be 'Migrated'
        $doc = Read-StateFile -Path (Join-Path $d 'seen-state.json')
        $doc.schemaVersion | Should -Be '2.0.0'
        $doc.Owner | Should -Be 'ops'
        $doc.PSObject.Properties.Name | Should -Not -Contain 'LastStart'
        Join-Path $d 'seen-state.json.v1.0.0.bak' | Should -Exist
    }
}
