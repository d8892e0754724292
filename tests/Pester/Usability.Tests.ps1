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
