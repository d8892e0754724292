BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe '-WhatIf changes nothing on disk' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'New-BatchState -WhatIf creates no file' {
        $out = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d -WhatIf
        $out | Should -BeNullOrEmpty
        @(Get-EntryNames $d) | Should -BeNullOrEmpty
    }

    It 'New-BatchState -WhatIf does not even create a missing state folder' {
        $missing = New-TestStateDirectory -NoCreate
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $missing -WhatIf
        Test-Path -LiteralPath $missing | Should -BeFalse
        @(Get-EntryNames (Split-Path -Parent $missing)) | Should -BeNullOrEmpty
        Remove-TestStateDirectory $missing
    }

    It 'New-BatchState -Force -WhatIf leaves an existing batch as it is' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        $before = Get-DirectorySnapshot $d
        $null = New-BatchState -Name other -Feature x -BatchId B -Force -StateDirectory $d -WhatIf
        Get-DirectorySnapshot $d | Should -Be $before
        (Get-BatchState -BatchId B -StateDirectory $d).Completed | Should -Be 1
    }

    It 'Remove-BatchState -WhatIf leaves every file byte-identical' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        $null = New-BatchState -Name n -Feature c -BatchId C -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -ErrorMessage x -StateDirectory $d
        $before = Get-DirectorySnapshot $d
        $before.Count | Should -Be 8 # B and C: snapshot, its backup, journal, lock

        Remove-BatchState -BatchId B, C -StateDirectory $d -WhatIf
        Get-BatchState -StateDirectory $d | Remove-BatchState -WhatIf

        Get-DirectorySnapshot $d | Should -Be $before
    }

    It 'Invoke-StateMigration -WhatIf says, per batch file, what each schema step would change' {
        New-UnversionedBatch $d 'Old'
        $script = Join-Path (Split-Path -Parent $d) 'whatif-migration.ps1'
        Set-Content -LiteralPath $script -Value @'
param($Module, $Directory)
Import-Module $Module
Invoke-StateMigration -StateDirectory $Directory -WhatIf
'@
        $run = Invoke-TestPwsh -ScriptPath $script -ArgumentList $env:STATECMDLETS_TEST_MODULE, $d
        $run.ExitCode | Should -Be 0
        $text = $run.StdOut -replace '\s+', ' '
        $text | Should -BeLike "*What if:*Migrate from schema 1.0.0 to 1.3.0*Old.json*"
        $text | Should -BeLike '*1.0.0 to 1.1.0 adds journalSequence*'
        $text | Should -BeLike '*1.1.0 to 1.2.0 adds settings for retry backoff, the circuit breaker*'
        $text | Should -BeLike '*1.2.0 to 1.3.0 adds claims*'
    }

    It 'Invoke-StateMigration -WhatIf leaves every file byte-identical' {
        $null = New-BatchState -Name n -Feature a -BatchId Cur -StateDirectory $d
        New-UnversionedBatch $d 'Old'
        $before = Get-DirectorySnapshot $d

        $null = Invoke-StateMigration -StateDirectory $d -WhatIf
        $null = Invoke-StateMigration -Path (Join-Path $d '*.json') -WhatIf -Force
        $null = Invoke-StateMigration -LiteralPath (Join-Path $d 'Old.json') -WhatIf

        Get-DirectorySnapshot $d | Should -Be $before
    }
}
