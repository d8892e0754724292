BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $fixtures = Join-Path $PSScriptRoot '../StateCmdlets.Core.Tests/Fixtures/autonomous-dev'
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Import-BatchState' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'imports every autonomous-dev fixture, leaving the source as it was' {
        foreach ($file in Get-ChildItem -LiteralPath $fixtures -Filter *.json) {
            $hash = (Get-FileHash -LiteralPath $file.FullName).Hash
            $b = $file | Import-BatchState -StateDirectory $d -ErrorAction Stop
            $b | Should -BeOfType 'StateCmdlets.BatchState'
            $b.Total | Should -Be ((Get-Content -LiteralPath $file.FullName -Raw | ConvertFrom-Json).features.Count)
            (Get-FileHash -LiteralPath $file.FullName).Hash | Should -Be $hash
        }
        @(Get-BatchState -StateDirectory $d).Count | Should -Be 5
    }

    It 'resumes only the features with no outcome, whatever current_index says' {
        $b = Import-BatchState -LiteralPath (Join-Path $fixtures 'origin-mixed-1.json') -StateDirectory $d
        $b.BatchId | Should -Be 'batch-20261125-112431-523919'
        (Resume-BatchState -BatchId $b.BatchId -StateDirectory $d -IncludeFailed:$false).Index -join ',' | Should -Be '3,5,10,13'
        $b.Extensions.current_index | Should -Be 13
        $b.Extensions.git_operations.'0'.commit.sha | Should -Be 'abc0001'
        ($b.Features | Where-Object Index -eq 4).LastError | Should -Be 'TimeoutError: host 1 unreachable'
    }

    It 'round-trips a batch exported with ConvertTo-Json' {
        $null = New-BatchState -Name 'Round trip' -Feature a, b, c -BatchId orig -StateDirectory $d -DependsOn @{ c = 'a' }
        Set-FeatureResult -BatchId orig -Feature a -Status Completed -Data @{ n = 1 } -StateDirectory $d
        Set-FeatureResult -BatchId orig -Feature b -Status Failed -ErrorMessage 'boom' -StateDirectory $d
        $export = Join-Path (Split-Path -Parent $d) 'orig.json'
        Get-BatchState -BatchId orig -StateDirectory $d | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $export
        $copy = Import-BatchState -LiteralPath $export -BatchId copy -StateDirectory $d
        $orig = Get-BatchState -BatchId orig -StateDirectory $d
        ($copy.Features | ForEach-Object { "$($_.Feature)=$($_.Status)/$($_.Attempts)/$($_.LastError)/$($_.DependsOn -join '+')" }) -join ',' |
            Should -BeExactly (($orig.Features | ForEach-Object { "$($_.Feature)=$($_.Status)/$($_.Attempts)/$($_.LastError)/$($_.DependsOn -join '+')" }) -join ',')
        $copy.Features[0].Data.n | Should -Be 1
        $copy.Name | Should -Be 'Round trip'
    }

    It 'round-trips every setting and dependency through ConvertTo-Json at its default depth, warning about the Data it cut short' {
        $null = New-BatchState -Name 'Default depth' -Feature a, b, c, 'd e' -BatchId orig -StateDirectory $d -DependsOn @{ c = 'a', 'd e'; 'd e' = 'a' } `
            -MaxAttempts 5 -RetryDelay 7 -MaxRetryDelay 90 -MaxConsecutiveFailures 4 -ContextTokenLimit 1000 -PermanentErrorType 'System.UnauthorizedAccessException'
        Set-FeatureResult -BatchId orig -Feature a -Status Completed -Data @{ n = 1 } -ContextTokens 1200 -StateDirectory $d
        Reset-BatchContext -BatchId orig -StateDirectory $d
        Set-FeatureResult -BatchId orig -Feature b -Status Failed -ErrorMessage 'boom' -ContextTokens 30 -StateDirectory $d
        $export = Join-Path (Split-Path -Parent $d) 'default-depth.json'
        Get-BatchState -BatchId orig -StateDirectory $d | ConvertTo-Json -WarningAction SilentlyContinue | Set-Content -LiteralPath $export

        $copy = Import-BatchState -LiteralPath $export -BatchId copy -StateDirectory $d -WarningVariable warnings -WarningAction SilentlyContinue
        $orig = Get-BatchState -BatchId orig -StateDirectory $d
        $settings = 'Name', 'MaxAttempts', 'RetryDelay', 'MaxRetryDelay', 'MaxConsecutiveFailures', 'ConsecutiveFailures', 'ContextTokens', 'ContextTokenLimit', 'ContextClears', 'Status', 'Completed', 'Failed', 'Pending'
        foreach ($name in $settings) { "$name=$($copy.$name)" | Should -BeExactly "$name=$($orig.$name)" }
        $copy.PermanentErrorTypes | Should -Be @('System.UnauthorizedAccessException')
        $copy.ContextClearEvents[0].TokensBefore | Should -Be 1200
        $copy.ContextClearEvents[0].At | Should -Be $orig.ContextClearEvents[0].At
        $line = { "$($_.Feature)=$($_.Status)/$($_.Attempts)/$($_.LastError)/$($_.DependsOn -join '+')/$($_.RetryAt)" }
        ($copy.Features | ForEach-Object $line) -join ',' | Should -BeExactly (($orig.Features | ForEach-Object $line) -join ',')
        (Resume-BatchState -BatchId copy -StateDirectory $d -IncludeFailed:$false).Feature -join ',' | Should -Be 'd e'
        # Data deeper than ConvertTo-Json's default depth of 2 arrives as the text it wrote, and the import says so.
        $copy.Features[0].Data | Should -BeExactly '@{n=1}'
        ($warnings -join "`n") | Should -Match "Data of feature 'a' is the text '@\{n=1\}'"
        ($warnings -join "`n") | Should -Match 'ConvertTo-Json -Depth 10'
    }

    It 'imports every batch of an exported array, and refuses one -BatchId for several' {
        $null = New-BatchState -Name one -Feature a -BatchId one -StateDirectory $d
        $null = New-BatchState -Name two -Feature x, y -BatchId two -StateDirectory $d
        Set-FeatureResult -BatchId two -Feature y -Status Completed -Data @{ deep = @{ deeper = 1 } } -StateDirectory $d
        $export = Join-Path (Split-Path -Parent $d) 'all.json'
        Get-BatchState -StateDirectory $d | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $export
        $other = New-TestStateDirectory
        try {
            { Import-BatchState -LiteralPath $export -BatchId x -StateDirectory $other -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBatchId,*'
            $imported = Import-BatchState -LiteralPath $export -StateDirectory $other -WarningVariable warnings
            $imported.BatchId -join ',' | Should -Be 'one,two'
            $warnings | Should -BeNullOrEmpty
            (Get-BatchState -BatchId two -StateDirectory $other).Features[1].Data.deep.deeper | Should -Be 1
        }
        finally { Remove-TestStateDirectory $other }
    }

    It 'refuses an existing id without -Force, and a file in no known format' {
        $null = Import-BatchState -LiteralPath (Join-Path $fixtures 'origin-fresh-1.json') -StateDirectory $d
        { Import-BatchState -LiteralPath (Join-Path $fixtures 'origin-fresh-1.json') -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'BatchAlreadyExists,*'
        $null = Import-BatchState -LiteralPath (Join-Path $fixtures 'origin-fresh-1.json') -StateDirectory $d -Force -ErrorAction Stop
        $odd = Join-Path (Split-Path -Parent $d) 'odd.json'
        '{"hello": "world"}' | Set-Content -LiteralPath $odd
        { Import-BatchState -LiteralPath $odd -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownBatchFormat,*'
    }

    It 'creates nothing with -WhatIf' {
        Import-BatchState -LiteralPath (Join-Path $fixtures 'origin-fresh-1.json') -StateDirectory $d -WhatIf
        @(Get-ChildItem -LiteralPath $d).Count | Should -Be 0
    }
}

Describe 'Test-BatchState and Repair-BatchState' {
    BeforeEach {
        $d = New-TestStateDirectory
        $null = New-BatchState -Name n -Feature a, b, c -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature b -Status Completed -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature c -Status Failed -ErrorMessage 'later' -StateDirectory $d
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'finds nothing wrong with a sound batch' {
        @(Test-BatchState -StateDirectory $d).Count | Should -Be 0
        Test-BatchState -StateDirectory $d -Quiet | Should -BeTrue
    }

    It 'rebuilds a damaged snapshot whole from its backup and the journal, keeping the damaged file' {
        $snapshot = Join-Path $d 'B.json'
        '{ "schemaVersion": "1.2.0", "batchId": "B", "feat' | Set-Content -LiteralPath $snapshot -NoNewline   # a truncated rewrite, say
        { Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateFileCorrupt,*'
        "$((Test-BatchState -BatchId B -StateDirectory $d).Kind)" | Should -Be 'ParseError'

        $report = Repair-BatchState -BatchId B -StateDirectory $d -Confirm:$false
        $report.Recovered | Should -BeTrue
        $report.Lost | Should -BeNullOrEmpty
        $b = Get-BatchState -BatchId B -StateDirectory $d
        ($b.Features | ForEach-Object { "$($_.Feature)=$($_.Status)/$($_.LastError)" }) -join ',' | Should -Be 'a=Completed/,b=Completed/,c=Failed/later'
        $aside = @(Get-ChildItem -LiteralPath $d -Filter 'B.json.corrupt-*')
        $aside.Count | Should -Be 1
        Get-Content -LiteralPath $aside[0].FullName -Raw | Should -BeExactly '{ "schemaVersion": "1.2.0", "batchId": "B", "feat'
        Test-BatchState -BatchId B -StateDirectory $d -Quiet | Should -BeTrue
    }

    It 'reports a damaged journal as an object with its offset, changing nothing, then repairs it keeping what can be read' {
        $journal = Join-Path $d 'B.journal'
        $bytes = [IO.File]::ReadAllBytes($journal)
        $second = [Array]::IndexOf($bytes, [byte]10, [Array]::IndexOf($bytes, [byte]10) + 1) + 1   # start of record 2 of 3
        $bytes[$second + 8] = $bytes[$second + 8] -bxor 0x20
        [IO.File]::WriteAllBytes($journal, $bytes)
        $before = Get-DirectorySnapshot $d

        $problems = @(Test-BatchState -BatchId B -StateDirectory $d)
        $problems.Count | Should -Be 1
        "$($problems[0].Kind)" | Should -Be 'JournalDamage'
        $problems[0].Offset | Should -Be $second
        Test-BatchState -StateDirectory $d -Quiet | Should -BeFalse
        (Get-DirectorySnapshot $d) -join "`n" | Should -Be ($before -join "`n")

        Repair-BatchState -BatchId B -StateDirectory $d -WhatIf
        (Get-DirectorySnapshot $d) -join "`n" | Should -Be ($before -join "`n")

        $report = Repair-BatchState -BatchId B -StateDirectory $d -Confirm:$false -WarningVariable lost -WarningAction SilentlyContinue
        $report.Recovered | Should -BeTrue
        $lost.Count | Should -BeGreaterThan 0
        @(Get-ChildItem -LiteralPath $d -Filter 'B.journal.corrupt-*').Count | Should -Be 1
        Test-BatchState -BatchId B -StateDirectory $d -Quiet | Should -BeTrue
        $b = Get-BatchState -BatchId B -StateDirectory $d
        ($b.Completed, $b.Failed) | Should -Be 1, 1   # record 2 (b) is lost, records 1 and 3 are kept
    }

    It 'removes temporary files of interrupted writes' {
        Set-Content -LiteralPath (Join-Path $d '.B.json.0123456789ab.tmp') -Value 'half'
        "$((Test-BatchState -BatchId B -StateDirectory $d).Kind)" | Should -Be 'OrphanTempFile'
        $null = Repair-BatchState -BatchId B -StateDirectory $d -Confirm:$false
        Test-Path -LiteralPath (Join-Path $d '.B.json.0123456789ab.tmp') | Should -BeFalse
    }
}

Describe 'Test-StateFile' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'finds nothing wrong with a file Save-StateFile wrote' {
        $file = Join-Path $d 'runs.json'
        Save-StateFile -Path $file -InputObject @{ Runs = 1 }
        @(Test-StateFile -Path $file).Count | Should -Be 0
        Test-StateFile -Path $file -Quiet | Should -BeTrue
    }

    It 'reports a damaged file with its offset, a temp file and a missing lock, changing nothing' {
        $file = Join-Path $d 'runs.json'
        Set-Content -LiteralPath $file -Value '{"Runs": 1,' -NoNewline
        Set-Content -LiteralPath (Join-Path $d '.runs.json.0123456789ab.tmp') -Value 'x'
        $before = Get-DirectorySnapshot $d
        $problems = @(Test-StateFile -LiteralPath $file)
        ($problems.Kind | ForEach-Object { "$_" }) -join ',' | Should -Be 'ParseError,OrphanTempFile,MissingLockFile'
        $problems[0].Offset | Should -Not -BeNullOrEmpty
        Test-StateFile -Path $file -Quiet | Should -BeFalse
        (Get-DirectorySnapshot $d) -join "`n" | Should -Be ($before -join "`n")
    }
}
