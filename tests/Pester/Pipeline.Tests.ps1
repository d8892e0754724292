BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Pipeline binding' {
    BeforeEach {
        $d = New-TestStateDirectory
        # Anything that wrongly falls back to the default folder lands in this empty decoy, never
        # in the user's state folder, and the test sees it there.
        $savedHome = $env:STATECMDLETS_HOME
        $decoy = New-TestStateDirectory
        $env:STATECMDLETS_HOME = $decoy
    }
    AfterEach {
        $env:STATECMDLETS_HOME = $savedHome
        Remove-TestStateDirectory $d
        Remove-TestStateDirectory $decoy
    }

    Context 'features into New-BatchState' {
        It 'takes strings by value' {
            $b = 'srv01', 'srv02', 'srv03' | New-BatchState -Name n -BatchId B -StateDirectory $d
            ($b.Features.Feature -join ',') | Should -BeExactly 'srv01,srv02,srv03'
        }

        It 'takes integers by value, as their text' {
            $b = 1, 2, 30 | New-BatchState -Name n -BatchId B -StateDirectory $d
            ($b.Features.Feature -join ',') | Should -BeExactly '1,2,30'
        }

        It 'takes the Name of Get-ChildItem output' {
            $files = Join-Path (Split-Path -Parent $d) 'files'
            $null = New-Item -ItemType Directory -Path $files
            'one.txt', 'two.txt', 'three.log' | ForEach-Object { Set-Content -LiteralPath (Join-Path $files $_) -Value $_ }
            $b = Get-ChildItem -LiteralPath $files -File | New-BatchState -Name n -BatchId B -StateDirectory $d
            ($b.Features.Feature | Sort-Object) -join ',' | Should -BeExactly 'one.txt,three.log,two.txt'
            $b.Total | Should -Be 3
        }

        It 'takes the Name property of a PSCustomObject' {
            $b = [pscustomobject]@{ Name = 'alpha'; Other = 1 }, [pscustomobject]@{ Name = 'beta' } | New-BatchState -Name n -BatchId B -StateDirectory $d
            ($b.Features.Feature -join ',') | Should -BeExactly 'alpha,beta'
        }

        It 'takes the Name key of a hashtable' {
            $b = @{ Name = 'h1' }, @{ Name = 'h2' } | New-BatchState -Name n -BatchId B -StateDirectory $d
            ($b.Features.Feature -join ',') | Should -BeExactly 'h1,h2'
        }

        It 'makes one batch of all pipeline input' {
            $null = 1..50 | New-BatchState -Name n -BatchId B -StateDirectory $d
            @(Get-BatchState -StateDirectory $d).Count | Should -Be 1
            (Get-BatchState -BatchId B -StateDirectory $d).Total | Should -Be 50
        }

        It 'refuses an object without a Name, creating no batch (InvalidFeatureInput)' {
            { 'ok', [pscustomobject]@{ Other = 1 } | New-BatchState -Name n -BatchId B -StateDirectory $d -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidFeatureInput,*'
            Test-Path -LiteralPath (Join-Path $d 'B.json') | Should -BeFalse
        }
    }

    Context 'batches and features between the cmdlets' {
        It 'binds BatchId and StateDirectory from a BatchState piped to Resume-BatchState' {
            $b = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
            $out = @($b | Resume-BatchState)
            ($out.Feature -join ',') | Should -BeExactly 'a,b'
            $out[0].StateDirectory | Should -Be $d
            (Get-EntryNames $decoy).Count | Should -Be 0
        }

        It 'takes batch ids as strings from the pipeline, in every cmdlet that names batches' {
            $null = New-BatchState -Name n -Feature a -BatchId S1 -StateDirectory $d
            $null = New-BatchState -Name n -Feature b -BatchId S2 -StateDirectory $d
            ('S1', 'S2' | Get-BatchState -StateDirectory $d).BatchId -join ',' | Should -BeExactly 'S1,S2'
            ('S1', 'S2' | Resume-BatchState -StateDirectory $d).Feature -join ',' | Should -BeExactly 'a,b'
            'S1', 'S2' | Test-BatchState -StateDirectory $d -Quiet | Should -BeTrue
            @('S1', 'S2' | Repair-BatchState -StateDirectory $d -Confirm:$false).Recovered -join ',' | Should -Be 'True,True'
            ('S1' | Checkpoint-BatchState -StateDirectory $d -PassThru).CheckpointCount | Should -Be 1
            ('S1' | Reset-BatchContext -StateDirectory $d -PassThru).ContextClears | Should -Be 1
            # the help's own example: ids of the batches with problems, piped on
            @(Test-BatchState -StateDirectory $d | Select-Object -ExpandProperty BatchId -Unique | Repair-BatchState -StateDirectory $d -WhatIf).Count | Should -Be 0
            'S1', 'S2' | Remove-BatchState -StateDirectory $d -Confirm:$false
            @(Get-BatchState -StateDirectory $d).Count | Should -Be 0
        }

        It 'resumes every batch Get-BatchState gives it' {
            $null = New-BatchState -Name n -Feature a -BatchId B1 -StateDirectory $d
            $null = New-BatchState -Name n -Feature b, c -BatchId B2 -StateDirectory $d
            $out = @(Get-BatchState -StateDirectory $d | Resume-BatchState)
            ($out | ForEach-Object { "$($_.BatchId)/$($_.Feature)" }) -join ',' | Should -BeExactly 'B1/a,B2/b,B2/c'
        }

        It 'binds BatchId, Feature and StateDirectory from a FeatureState piped to Set-FeatureResult' {
            $null = New-BatchState -Name n -Feature a, b, c -BatchId B -StateDirectory $d
            Resume-BatchState -BatchId B -StateDirectory $d | Where-Object Feature -NE 'b' | Set-FeatureResult -Status Completed
            $b = Get-BatchState -BatchId B -StateDirectory $d
            ($b.Features | ForEach-Object { "$($_.Feature)=$($_.Status)" }) -join ',' | Should -BeExactly 'a=Completed,b=Pending,c=Completed'
            (Get-EntryNames $decoy).Count | Should -Be 0
        }

        It 'keeps a piped feature''s Data when the result gives none' {
            $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
            Set-FeatureResult -BatchId B -Feature a -Status Failed -StateDirectory $d -Data @{ tries = @(1, 2); note = 'half' }
            Resume-BatchState -BatchId B -StateDirectory $d | Set-FeatureResult -Status Completed
            $a = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
            $a.Status | Should -Be 'Completed'
            $a.Data.note | Should -BeExactly 'half'
            (@($a.Data.tries) -join ',') | Should -Be '1,2'
        }

        It 'removes the files of every batch piped from Get-BatchState' {
            $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
            $null = New-BatchState -Name n -Feature a -BatchId B2 -StateDirectory $d
            Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
            (Get-EntryNames $d) -join ',' | Should -BeExactly 'B.journal,B.json,B.json.bak,B.lock,B2.journal,B2.json,B2.json.bak,B2.lock'
            Get-BatchState -StateDirectory $d | Remove-BatchState -Confirm:$false
            @(Get-EntryNames $d) | Should -BeNullOrEmpty
            @(Get-BatchState -StateDirectory $d) | Should -BeNullOrEmpty
        }

        It 'removes only the batches Where-Object keeps' {
            $null = New-BatchState -Name keep -Feature a -BatchId K -StateDirectory $d
            $null = New-BatchState -Name drop -Feature a -BatchId D -StateDirectory $d
            Get-BatchState -StateDirectory $d | Where-Object Name -EQ 'drop' | Remove-BatchState -Confirm:$false
            (Get-EntryNames $d) -join ',' | Should -BeExactly 'K.journal,K.json,K.json.bak,K.lock'
        }
    }

    Context 'results from a CSV' {
        It 'records Import-Csv rows with BatchId, Feature, Status and ErrorMessage columns' {
            $null = New-BatchState -Name n -Feature a, b, c -BatchId B -StateDirectory $d
            $null = New-BatchState -Name n -Feature x -BatchId B2 -StateDirectory $d
            $csv = Join-Path (Split-Path -Parent $d) 'results.csv'
            @(
                [pscustomobject]@{ BatchId = 'B'; Feature = 'a'; Status = 'Completed'; ErrorMessage = '' }
                [pscustomobject]@{ BatchId = 'B'; Feature = 'b'; Status = 'Failed'; ErrorMessage = 'disk full' }
                [pscustomobject]@{ BatchId = 'B'; Feature = 'c'; Status = 'Skipped'; ErrorMessage = 'decommissioned' }
                [pscustomobject]@{ BatchId = 'B2'; Feature = 'x'; Status = 'Completed'; ErrorMessage = '' }
            ) | Export-Csv -LiteralPath $csv -NoTypeInformation

            Import-Csv -LiteralPath $csv | Set-FeatureResult -StateDirectory $d -ErrorAction Stop

            $b = Get-BatchState -BatchId B -StateDirectory $d
            ($b.Features | ForEach-Object { "$($_.Feature)=$($_.Status)" }) -join ',' | Should -BeExactly 'a=Completed,b=Failed,c=Skipped'
            $b.Features[0].LastError | Should -BeNullOrEmpty
            $b.Features[1].LastError | Should -BeExactly 'disk full'
            $b.Features[2].LastError | Should -BeExactly 'decommissioned'
            (Get-BatchState -BatchId B2 -StateDirectory $d).Status | Should -Be 'Completed'
            (Get-EntryNames $decoy).Count | Should -Be 0
        }
    }
}

Describe 'Pipeline mistakes that must not change data silently' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'refuses a piped feature without -Status (FeatureStatusRequired) instead of recording its own Status' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -ErrorMessage 'first' -StateDirectory $d
        $failed = Resume-BatchState -BatchId B -StateDirectory $d | Where-Object Feature -eq 'a'
        $failed | Set-FeatureResult -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'FeatureStatusRequired,*'
        $err[0].TargetObject | Should -Be 'a'
        $a = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
        $a.Attempts | Should -Be 1
        $a.LastError | Should -Be 'first'
    }

    It 'records a piped feature with -Status, keeping its data unless -Data is given' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -Data @{ step = 1 } -StateDirectory $d
        Resume-BatchState -BatchId B -StateDirectory $d | Set-FeatureResult -Status Failed -ErrorMessage again
        (Get-BatchState -BatchId B -StateDirectory $d).Features[0].Data.step | Should -Be 1
        Resume-BatchState -BatchId B -StateDirectory $d | Set-FeatureResult -Status Completed -Data @{ step = 2 }
        $a = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
        $a.Data.step | Should -Be 2
        $a.Attempts | Should -Be 3
    }

    It 'creates a batch from piped features where the command line says, not where the features came from' {
        $other = New-TestStateDirectory
        try {
            $null = New-BatchState -Name source -Feature x, y -BatchId S -StateDirectory $other
            $null = (Get-BatchState -BatchId S -StateDirectory $other).Features | New-BatchState -Name copy -BatchId C -StateDirectory $d
            (Get-BatchState -BatchId C -StateDirectory $d).Features.Feature -join ',' | Should -Be 'x,y'
            Test-Path -LiteralPath (Join-Path $other 'C.json') | Should -BeFalse
        }
        finally { Remove-TestStateDirectory $other }
    }

    It 'migrates batches piped from Get-BatchState (-InputObject)' {
        $null = New-BatchState -Name n -Feature a -BatchId B1 -StateDirectory $d
        $null = New-BatchState -Name n -Feature a -BatchId B2 -StateDirectory $d
        $r = @(Get-BatchState -StateDirectory $d | Invoke-StateMigration -Force -ErrorAction Stop)
        ($r.Path | Split-Path -Leaf | Sort-Object) -join ',' | Should -Be 'B1.json,B2.json'
    }

    It 'says a journal or other file is not a batch file (NotABatchFile)' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        $null = Invoke-StateMigration -LiteralPath (Join-Path $d 'B.journal') -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotABatchFile,*'
    }

    It 'names a bad batch name as InvalidBatchName' {
        { New-BatchState -Name ('n' * 1025) -Feature a -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBatchName,*'
        @(Get-ChildItem -LiteralPath $d).Count | Should -Be 0
    }
}
