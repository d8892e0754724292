BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

# What a new user meets in the first hour: blank lines in the input, a piped feature without
# -Status, prompts before recorded work is wiped, ids given by position, foreign JSON in the state
# folder, a state directory that is a file.

Describe 'Blank lines in the input of New-BatchState' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'skips empty and white-space-only strings from the pipeline, with one warning that counts them' {
        $b = 'srv1', '', 'srv2', '   ', "`t", 'srv3', '' |
            New-BatchState -Name n -BatchId B -StateDirectory $d -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        $b.Features.Feature -join ',' | Should -BeExactly 'srv1,srv2,srv3'
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -BeLike 'Skipped 4 empty or white-space-only string(s)*items 2, 4, 5 and 7*'
    }

    It 'skips the blank lines of a file read with Get-Content (a trailing one too)' {
        $list = Join-Path (Split-Path -Parent $d) 'servers.txt'
        [IO.File]::WriteAllText($list, "srv1`n`nsrv2`n`n")
        $b = Get-Content -LiteralPath $list | New-BatchState -Name n -BatchId B -StateDirectory $d -WarningAction SilentlyContinue -ErrorAction Stop
        $b.Total | Should -Be 2
    }

    It 'keeps an explicit -Feature '''' an error that names its position, and creates nothing' {
        { New-BatchState -Name n -Feature a, b, '' -BatchId B -StateDirectory $d -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidFeatureName,*' -ExpectedMessage '*empty (item 3)*'
        @(Get-EntryNames $d) | Should -BeNullOrEmpty
    }

    It 'refuses a white-space-only name given with -Feature (InvalidFeatureName)' {
        { New-BatchState -Name n -Feature a, '  ' -BatchId B -StateDirectory $d -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidFeatureName,*' -ExpectedMessage '*white space (item 2)*'
        { New-BatchState -Name '  ' -Feature a -BatchId B -StateDirectory $d -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidBatchName,*'
        @(Get-EntryNames $d) | Should -BeNullOrEmpty
    }

    It 'still refuses an object whose Name is blank, naming its position' {
        { [pscustomobject]@{ Name = 'a' }, [pscustomobject]@{ Name = ' ' } | New-BatchState -Name n -BatchId B -StateDirectory $d -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidFeatureName,*' -ExpectedMessage '*(item 2)*'
    }
}

Describe 'A piped feature without -Status' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'is FeatureStatusRequired for a pending feature from Resume-BatchState, not a ValidateSet error' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        Resume-BatchState -BatchId B -StateDirectory $d | Set-FeatureResult -ErrorVariable err -ErrorAction SilentlyContinue
        @($err).Count | Should -Be 2
        $err.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'FeatureStatusRequired,*' }
        ($err.TargetObject | Sort-Object) -join ',' | Should -Be 'a,b'
        (Get-BatchState -BatchId B -StateDirectory $d).Features.Attempts | Should -Be 0, 0
    }

    It 'records a pending feature piped with -Status, and still takes CSV rows by property name' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        Resume-BatchState -BatchId B -StateDirectory $d | Select-Object -First 1 | Set-FeatureResult -Status Completed -ErrorAction Stop
        [pscustomobject]@{ BatchId = 'B'; Feature = 'b'; Status = 'Skipped'; ErrorMessage = 'gone' } | Set-FeatureResult -StateDirectory $d -ErrorAction Stop
        ((Get-BatchState -BatchId B -StateDirectory $d).Features | ForEach-Object { "$($_.Feature)=$($_.Status)" }) -join ',' | Should -Be 'a=Completed,b=Skipped'
    }
}

Describe 'Deleting or replacing recorded work asks first (ConfirmImpact High)' {
    BeforeAll {
        # A child pwsh -NonInteractive at the default $ConfirmPreference (High): a command that would
        # prompt fails there instead ("NonInteractive mode"), which is how a test sees a prompt.
        $runner = Join-Path $TestDrive 'Invoke-Confirmed.ps1'
        Set-Content -LiteralPath $runner -Value @'
param($Module, $Directory, $Command)
Import-Module $Module
$d = $Directory
try { & ([scriptblock]::Create($Command)) | Out-Null; 'went ahead' }
catch { if ("$_" -like '*NonInteractive*') { 'prompted' } else { "error: $_" } }
'@
        function Invoke-Confirmed([string] $Command) {
            $r = Invoke-TestPwsh -ScriptPath $runner -ArgumentList $env:STATECMDLETS_TEST_MODULE, $d, $Command -What $Command
            $r.ExitCode | Should -Be 0 -Because $r.StdErr
            $r.StdOut.Trim()
        }
        function New-BatchWithResult {
            $null = New-BatchState -Name first -Feature a, b -BatchId B -StateDirectory $d
            Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        }
    }
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'Remove-BatchState is ConfirmImpact High: it asks at the default $ConfirmPreference' {
        (Get-Command Remove-BatchState).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
        New-BatchWithResult
        Invoke-Confirmed 'Remove-BatchState -BatchId B -StateDirectory $d' | Should -Be 'prompted'
        (Get-BatchState -BatchId B -StateDirectory $d).Completed | Should -Be 1
        Invoke-Confirmed 'Remove-BatchState -BatchId B -StateDirectory $d -Confirm:$false' | Should -Be 'went ahead'
        @(Get-EntryNames $d) | Should -BeNullOrEmpty
    }

    It 'New-BatchState -Force over a batch with recorded results asks, and keeps them when it cannot' {
        New-BatchWithResult
        Invoke-Confirmed 'New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -Force' | Should -Be 'prompted'
        $b = Get-BatchState -BatchId B -StateDirectory $d
        $b.Name | Should -BeExactly 'first'
        $b.Completed | Should -Be 1
    }

    It 'New-BatchState -Force over recorded results goes ahead with -Confirm:$false or $ConfirmPreference = ''None''' {
        New-BatchWithResult
        Invoke-Confirmed 'New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -Force -Confirm:$false' | Should -Be 'went ahead'
        (Get-BatchState -BatchId B -StateDirectory $d).Name | Should -BeExactly 'second'
        Set-FeatureResult -BatchId B -Feature x -Status Completed -StateDirectory $d
        Invoke-Confirmed '$ConfirmPreference = ''None''; New-BatchState -Name third -Feature y -BatchId B -StateDirectory $d -Force' | Should -Be 'went ahead'
        (Get-BatchState -BatchId B -StateDirectory $d).Name | Should -BeExactly 'third'
    }

    It 'New-BatchState -Force over a batch nothing was recorded in does not ask' {
        $null = New-BatchState -Name first -Feature a -BatchId B -StateDirectory $d
        Invoke-Confirmed 'New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -Force' | Should -Be 'went ahead'
        (Get-BatchState -BatchId B -StateDirectory $d).Name | Should -BeExactly 'second'
    }

    It 'New-BatchState -Force over a damaged batch, or one whose snapshot is lost, asks' {
        $null = New-BatchState -Name first -Feature a -BatchId B -StateDirectory $d
        Set-Content -LiteralPath (Join-Path $d 'B.json') -Value '{ damaged'
        Invoke-Confirmed 'New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -Force' | Should -Be 'prompted'
        Remove-Item -LiteralPath (Join-Path $d 'B.json')
        Invoke-Confirmed 'New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -Force' | Should -Be 'prompted'
        Test-Path -LiteralPath (Join-Path $d 'B.json') | Should -BeFalse
    }

    It 'New-BatchState -Force -WhatIf says how many results it would wipe' {
        New-BatchWithResult
        $r = Invoke-TestPwsh -ScriptPath $runner -ArgumentList $env:STATECMDLETS_TEST_MODULE, $d, 'New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -Force -WhatIf'
        ($r.StdOut -replace '\s+', ' ') | Should -BeLike "*What if:*Replace batch 'B' (1 recorded result)*"
        (Get-BatchState -BatchId B -StateDirectory $d).Completed | Should -Be 1
    }

    It 'Invoke-StateMigration asks (ConfirmImpact High) unless -Force; -WhatIf, also through $WhatIfPreference, wins over -Force' {
        New-UnversionedBatch $d 'U'
        $before = Get-DirectorySnapshot $d
        Invoke-Confirmed 'Invoke-StateMigration -StateDirectory $d' | Should -Be 'prompted'
        Invoke-Confirmed '$WhatIfPreference = $true; Invoke-StateMigration -StateDirectory $d -Force' | Should -BeLike 'What if:*went ahead'
        Invoke-Confirmed 'Invoke-StateMigration -StateDirectory $d -Force -Confirm' | Should -Be 'prompted'
        Get-DirectorySnapshot $d | Should -Be $before
        Invoke-Confirmed 'Invoke-StateMigration -StateDirectory $d -Force' | Should -Be 'went ahead'
        (Get-BatchState -BatchId U -StateDirectory $d).SchemaVersion | Should -Not -Be '1.0.0'
    }

    It 'Import-BatchState -Force over a batch with recorded results asks too' {
        New-BatchWithResult
        $export = Join-Path (Split-Path -Parent $d) 'export.json'
        Get-BatchState -BatchId B -StateDirectory $d | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $export
        Set-FeatureResult -BatchId B -Feature b -Status Completed -StateDirectory $d
        Invoke-Confirmed "Import-BatchState -LiteralPath '$export' -StateDirectory `$d -Force" | Should -Be 'prompted'
        (Get-BatchState -BatchId B -StateDirectory $d).Completed | Should -Be 2
        Invoke-Confirmed "Import-BatchState -LiteralPath '$export' -StateDirectory `$d -Force -Confirm:`$false" | Should -Be 'went ahead'
        (Get-BatchState -BatchId B -StateDirectory $d).Completed | Should -Be 1
    }
}

Describe 'Get-BatchState by position: an id or a name' {
    BeforeAll {
        $d = New-TestStateDirectory
        $null = New-BatchState -Name 'Nightly web' -Feature a -BatchId night-1 -StateDirectory $d
        $null = New-BatchState -Name 'Nightly db' -Feature a -BatchId night-2 -StateDirectory $d
        $null = New-BatchState -Name 'my-id' -Feature a -BatchId other -StateDirectory $d
    }
    AfterAll { Remove-TestStateDirectory $d }

    It 'gets a batch by its id given by position' {
        @(Get-BatchState night-2 -StateDirectory $d -ErrorAction Stop).Name | Should -BeExactly 'Nightly db'
        @(Get-BatchState night-1, night-2 -StateDirectory $d -ErrorAction Stop).BatchId -join ',' | Should -Be 'night-1,night-2'
    }

    It 'gets batches by name, or by id or name with wildcards' {
        @(Get-BatchState 'nightly web' -StateDirectory $d -ErrorAction Stop).BatchId | Should -Be 'night-1'
        @(Get-BatchState my-id -StateDirectory $d -ErrorAction Stop).BatchId | Should -Be 'other'
        @(Get-BatchState 'night-*' -StateDirectory $d -ErrorAction Stop).BatchId -join ',' | Should -Be 'night-1,night-2'
        @(Get-BatchState 'Nightly*', 'oth*' -StateDirectory $d -ErrorAction Stop).BatchId -join ',' | Should -Be 'night-1,night-2,other'
    }

    It 'says BatchNotFound for a value that is neither an id nor a name' {
        $out = Get-BatchState nope -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'
        $err[0].Exception.Message | Should -BeLike "*id or name 'nope'*"
    }

    It 'keeps -BatchId exact and -Name to names' {
        { Get-BatchState -BatchId 'night-*' -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBatchId,*'
        { Get-BatchState -Name night-1 -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
        @(Get-BatchState -Name 'Nightly*' -StateDirectory $d).Count | Should -Be 2
    }

    It 'completes the positional argument from ids and names' {
        $line = "Get-BatchState -StateDirectory '$d' "
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Contain 'night-1'
        $completions | Should -Contain "'Nightly web'"
        $completions | Should -Contain 'my-id'
    }
}

Describe 'Another program''s JSON file in the state directory' {
    BeforeEach {
        $d = New-TestStateDirectory
        $null = New-BatchState -Name real -Feature a -BatchId real -StateDirectory $d
        Save-StateFile -Path (Join-Path $d 'settings.json') -InputObject @{ Runs = 3; Name = 'mine' } -SchemaVersion '1.0.0'
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'is skipped by Get-BatchState, with -Verbose saying so, not reported as damage' {
        $out = Get-BatchState -StateDirectory $d -ErrorVariable err -Verbose 4>&1
        $err | Should -BeNullOrEmpty
        @($out | Where-Object { $_ -is [StateCmdlets.BatchState] }).BatchId | Should -Be 'real'
        ($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain "Skipped: '$(Join-Path $d 'settings.json')' is not a batch: it is JSON with none of a batch's fields (batchId, features): another program's file, such as a state file saved with Save-StateFile. Keep such files out of the state directory. The file was left as it is."
        @(Get-BatchState 'r*' -StateDirectory $d -ErrorAction Stop).BatchId | Should -Be 'real'
    }

    It 'is said once by Test-BatchState: "not a batch"' {
        $problems = @(Test-BatchState -StateDirectory $d -ErrorAction Stop)
        $problems.Count | Should -Be 1
        $problems[0].Kind | Should -Be 'NotABatch'
        $problems[0].Path | Should -Be (Join-Path $d 'settings.json')
        $problems[0].Message | Should -BeLike '*none of a batch''s fields*'
    }

    It 'is skipped by Invoke-StateMigration of the directory, and left as it is' {
        $before = Get-FileHash -LiteralPath (Join-Path $d 'settings.json')
        $r = @(Invoke-StateMigration -StateDirectory $d -Force -ErrorAction Stop)
        $r.Path | Should -Be (Join-Path $d 'real.json')
        (Get-FileHash -LiteralPath (Join-Path $d 'settings.json')).Hash | Should -Be $before.Hash
    }

    It 'named as a batch, is NotABatchFile (not StateFileCorrupt), and Repair-BatchState changes nothing' {
        { Get-BatchState -BatchId settings -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'NotABatchFile,*'
        $before = Get-DirectorySnapshot $d
        $report = Repair-BatchState -BatchId settings -StateDirectory $d -Confirm:$false -WarningAction SilentlyContinue
        $report.Recovered | Should -BeFalse
        Get-DirectorySnapshot $d | Should -Be $before
    }
}

Describe 'A state directory that is a file' {
    BeforeAll {
        $work = Split-Path -Parent (New-TestStateDirectory -NoCreate)
        $file = Join-Path $work 'state-is-a-file'
        Set-Content -LiteralPath $file -Value 'not a folder'
        $export = Join-Path $work 'export.json'
        $source = New-TestStateDirectory
        New-BatchState -Name n -Feature a -BatchId exported -StateDirectory $source | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $export
    }
    AfterAll { Remove-TestStateDirectory $source }

    It 'is one clear StateDirectoryNotFound, naming it and saying it is a file, in <Name>' -ForEach @(
        @{ Name = 'New-BatchState'; Command = { New-BatchState -Name n -Feature a -BatchId B -StateDirectory $file } }
        @{ Name = 'New-BatchState -Force'; Command = { New-BatchState -Name n -Feature a -BatchId B -StateDirectory $file -Force } }
        @{ Name = 'Get-BatchState'; Command = { Get-BatchState -StateDirectory $file } }
        @{ Name = 'Get-BatchState -BatchId'; Command = { Get-BatchState -BatchId B -StateDirectory $file } }
        @{ Name = 'Get-BatchState B'; Command = { Get-BatchState B -StateDirectory $file } }
        @{ Name = 'Resume-BatchState'; Command = { Resume-BatchState -BatchId B -StateDirectory $file } }
        @{ Name = 'Set-FeatureResult'; Command = { Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $file } }
        @{ Name = 'Remove-BatchState'; Command = { Remove-BatchState -BatchId B -StateDirectory $file -Confirm:$false } }
        @{ Name = 'Test-BatchState'; Command = { Test-BatchState -StateDirectory $file } }
        @{ Name = 'Repair-BatchState'; Command = { Repair-BatchState -BatchId B -StateDirectory $file -Confirm:$false } }
        @{ Name = 'Checkpoint-BatchState'; Command = { Checkpoint-BatchState -BatchId B -StateDirectory $file } }
        @{ Name = 'Reset-BatchContext'; Command = { Reset-BatchContext -BatchId B -StateDirectory $file } }
        @{ Name = 'Import-BatchState'; Command = { Import-BatchState -LiteralPath $export -StateDirectory $file } }
        @{ Name = 'Invoke-StateMigration'; Command = { Invoke-StateMigration -StateDirectory $file -Force } }
    ) {
        $ErrorActionPreference = 'Continue'
        $err = @(& $Command 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        @($err).Count | Should -Be 1 -Because ($err -join '; ')
        $err[0].FullyQualifiedErrorId | Should -BeLike 'StateDirectoryNotFound,*'
        $err[0].TargetObject | Should -Be $file
        $err[0].Exception.Message | Should -BeLike "*'$file' is a file, not a folder*"
        Get-Content -LiteralPath $file | Should -Be 'not a folder'
    }

    It 'is the same error through $env:STATECMDLETS_HOME, where a listing said nothing at all' {
        $saved = $env:STATECMDLETS_HOME
        try {
            $env:STATECMDLETS_HOME = $file
            $out = Get-BatchState -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StateDirectoryNotFound,*'
            { New-BatchState -Name n -Feature a -ErrorAction Stop } | Should -Throw -ErrorId 'StateDirectoryNotFound,*'
        }
        finally { $env:STATECMDLETS_HOME = $saved }
    }
}

Describe 'A folder with no batch, when the per-user folder has some' {
    BeforeAll {
        # The per-user folder of this test only: XDG_STATE_HOME (Linux, macOS) or LOCALAPPDATA (Windows).
        $saved = @{ XDG_STATE_HOME = $env:XDG_STATE_HOME; LOCALAPPDATA = $env:LOCALAPPDATA; STATECMDLETS_HOME = $env:STATECMDLETS_HOME }
        $userRoot = Split-Path -Parent (New-TestStateDirectory -NoCreate)
        $env:XDG_STATE_HOME = $userRoot
        $env:LOCALAPPDATA = $userRoot
        $env:STATECMDLETS_HOME = $null
        $perUser = Join-Path $userRoot 'StateCmdlets'
        $null = New-BatchState -Name 'made by the user' -Feature a -BatchId patch-2026-11
    }
    AfterAll {
        foreach ($name in $saved.Keys) { Set-Item -Path "Env:$name" -Value $saved[$name] -ErrorAction Ignore; if ($null -eq $saved[$name]) { Remove-Item "Env:$name" -ErrorAction Ignore } }
        Remove-TestStateDirectory $perUser
    }

    It 'Get-BatchState says where the batches are, once per folder' {
        Test-Path -LiteralPath (Join-Path $perUser 'patch-2026-11.json') | Should -BeTrue
        $pinned = New-TestStateDirectory
        try {
            $null = Get-BatchState -BatchId patch-2026-11 -StateDirectory $pinned -ErrorAction Ignore -WarningVariable w -WarningAction SilentlyContinue
            @($w).Count | Should -Be 1
            "$($w[0])" | Should -BeLike "No batch in '$pinned', but the per-user state folder '$perUser' has 1 (patch-2026-11)*-StateDirectory '$perUser'*"
            $null = Get-BatchState -StateDirectory $pinned -WarningVariable again -WarningAction SilentlyContinue
            $again | Should -BeNullOrEmpty
        }
        finally { Remove-TestStateDirectory $pinned }
    }

    It 'says nothing when the folder has batches, or is the per-user folder itself' {
        $other = New-TestStateDirectory
        try {
            $null = New-BatchState -Name n -Feature a -BatchId here -StateDirectory $other
            $null = Get-BatchState -BatchId nope -StateDirectory $other -ErrorAction Ignore -WarningVariable w1 -WarningAction SilentlyContinue
            $null = Get-BatchState nope -ErrorAction Ignore -WarningVariable w2 -WarningAction SilentlyContinue
            @($w1) + @($w2) | Should -BeNullOrEmpty
        }
        finally { Remove-TestStateDirectory $other }
    }
}
