BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    function New-CorruptBatch([string] $Directory, [string] $Id, [int] $KeepBytes = 100) {
        # A real batch file cut short, as a disk that lost the end of a non-atomic write would leave it.
        $null = New-BatchState -Name "corrupt $Id" -Feature a, b, c -BatchId $Id -StateDirectory $Directory -ErrorAction Stop
        $path = Join-Path $Directory "$Id.json"
        $bytes = [IO.File]::ReadAllBytes($path)
        [IO.File]::WriteAllBytes($path, $bytes[0..($KeepBytes - 1)])
        $path
    }
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Errors' {
    BeforeEach {
        $d = New-TestStateDirectory
        $parent = Split-Path -Parent $d
    }
    AfterEach { Remove-TestStateDirectory $d }

    Context 'BatchNotFound' {
        BeforeEach {
            $null = New-BatchState -Name n -Feature a -BatchId Other -StateDirectory $d
            $missingFile = Join-Path $d 'Nope.json'
        }

        It 'Get-BatchState -BatchId: non-terminating, names the id and targets the file' {
            $out = Get-BatchState -BatchId Nope -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -BeExactly $missingFile
            $err[0].Exception.Message | Should -BeLike "*$missingFile*"
            { Get-BatchState -BatchId Nope -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
        }

        It 'Get-BatchState -BatchId goes on with the other ids' {
            $out = @(Get-BatchState -BatchId Nope, Other -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue)
            $out.BatchId | Should -Be 'Other'
            $err.Count | Should -Be 1
        }

        It 'Resume-BatchState' {
            { Resume-BatchState -BatchId Nope -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
            $null = Resume-BatchState -BatchId Nope -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].TargetObject | Should -BeExactly $missingFile
        }

        It 'Set-FeatureResult' {
            { Set-FeatureResult -BatchId Nope -Feature a -Status Completed -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
            Test-Path -LiteralPath $missingFile | Should -BeFalse
        }

        It 'Remove-BatchState' {
            { Remove-BatchState -BatchId Nope -StateDirectory $d -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
            Test-Path -LiteralPath (Join-Path $d 'Other.json') | Should -BeTrue
        }

        It 'a state folder that does not exist gives BatchNotFound and is not created' {
            $missingDir = Join-Path $parent 'no-such-folder'
            { Get-BatchState -BatchId B -StateDirectory $missingDir -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
            { Resume-BatchState -BatchId B -StateDirectory $missingDir -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
            { Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $missingDir -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
            Test-Path -LiteralPath $missingDir | Should -BeFalse
        }

        It 'Set-FeatureResult leaves no file behind when the batch does not exist' {
            $before = Get-DirectorySnapshot $d
            $null = Set-FeatureResult -BatchId Nope -Feature a -Status Completed -StateDirectory $d -ErrorAction SilentlyContinue
            (Get-DirectorySnapshot $d) -join "`n" | Should -BeExactly ($before -join "`n")
        }

        # Regression: Remove-BatchState used to take (and so create) '<id>.lock' before finding nothing.
        It 'Remove-BatchState leaves no file behind when the batch does not exist' {
            $before = Get-DirectorySnapshot $d
            $null = Remove-BatchState -BatchId Nope -StateDirectory $d -Confirm:$false -ErrorAction SilentlyContinue
            (Get-DirectorySnapshot $d) -join "`n" | Should -BeExactly ($before -join "`n")
        }
    }

    Context 'InvalidBatchId' {
        It 'refuses <Label> in every cmdlet, creating nothing anywhere' -ForEach @(
            @{ Id = '../x'; Label = "'../x'" }
            @{ Id = 'a/b'; Label = "'a/b'" }
            @{ Id = '..'; Label = "'..'" }
            @{ Id = '.hidden'; Label = "'.hidden'" }
            @{ Id = '/tmp/abs'; Label = "'/tmp/abs'" }
            @{ Id = 'a b'; Label = "'a b'" }
            @{ Id = ('x' * 129); Label = 'an id of 129 characters' }
        ) {
            $beforeParent = Get-EntryNames $parent
            $calls = @(
                { New-BatchState -Name n -Feature a -BatchId $Id -StateDirectory $d -ErrorAction Stop }
                { New-BatchState -Name n -Feature a -BatchId $Id -StateDirectory $d -Force -ErrorAction Stop }
                { Get-BatchState -BatchId $Id -StateDirectory $d -ErrorAction Stop }
                { Resume-BatchState -BatchId $Id -StateDirectory $d -ErrorAction Stop }
                { Set-FeatureResult -BatchId $Id -Feature a -Status Completed -StateDirectory $d -ErrorAction Stop }
                { Remove-BatchState -BatchId $Id -StateDirectory $d -Confirm:$false -ErrorAction Stop }
            )
            foreach ($call in $calls) { $call | Should -Throw -ErrorId 'InvalidBatchId,*' -Because "$call" }

            (Get-EntryNames $parent) -join ',' | Should -BeExactly ($beforeParent -join ',')
            @(Get-EntryNames $d) | Should -BeNullOrEmpty
        }

        It 'names the bad id as the target' {
            $null = Get-BatchState -BatchId '../x' -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidBatchId,*'
            $err[0].TargetObject | Should -BeExactly '../x'
        }

        It 'accepts the longest valid id (128 characters)' {
            $id = 'a' + ('-' * 127)
            (New-BatchState -Name n -Feature a -BatchId $id -StateDirectory $d -ErrorAction Stop).BatchId | Should -BeExactly $id
        }
    }

    Context 'FeatureNotFound' {
        It 'is non-terminating: the other pipeline items are recorded' {
            $null = New-BatchState -Name n -Feature a, b, c -BatchId B -StateDirectory $d
            $items = [pscustomobject]@{ Feature = 'a' }, [pscustomobject]@{ Feature = 'no-such' }, [pscustomobject]@{ Feature = 'c' }
            $items | Set-FeatureResult -BatchId B -Status Completed -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue

            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'FeatureNotFound,*'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -BeExactly 'no-such'
            $b = Get-BatchState -BatchId B -StateDirectory $d
            ($b.Features | ForEach-Object { "$($_.Feature)=$($_.Status)/$($_.Attempts)" }) -join ',' | Should -BeExactly 'a=Completed/1,b=Pending/0,c=Completed/1'
        }

        It 'matches feature names case-sensitively' {
            $null = New-BatchState -Name n -Feature srv01 -BatchId B -StateDirectory $d
            { Set-FeatureResult -BatchId B -Feature SRV01 -Status Completed -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'FeatureNotFound,*'
            (Get-BatchState -BatchId B -StateDirectory $d).Pending | Should -Be 1
        }
    }

    Context 'BatchAlreadyExists' {
        It 'refuses an existing id without -Force and leaves the batch as it is' {
            $null = New-BatchState -Name first -Feature a, b -BatchId B -StateDirectory $d
            Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
            $hash = (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash
            { New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'BatchAlreadyExists,*'
            $null = New-BatchState -Name second -Feature x -BatchId B -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            $err[0].Exception.Message | Should -BeLike "*$(Join-Path $d 'B.json')*"
            # B.json is untouched (B.lock only gets the new holder's pid, which is diagnostics).
            (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash | Should -Be $hash
            (Get-EntryNames $d) -join ',' | Should -BeExactly 'B.journal,B.json,B.json.bak,B.lock'
            (Get-BatchState -BatchId B -StateDirectory $d).Name | Should -BeExactly 'first'
        }

        It 'replaces the batch with -Force' {
            $null = New-BatchState -Name first -Feature a, b -BatchId B -StateDirectory $d
            Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
            $new = New-BatchState -Name second -Feature x, y, z -BatchId B -StateDirectory $d -Force -Confirm:$false -ErrorAction Stop
            $new.Name | Should -BeExactly 'second'
            $b = Get-BatchState -BatchId B -StateDirectory $d
            $b.Name | Should -BeExactly 'second'
            ($b.Features.Feature -join ',') | Should -BeExactly 'x,y,z'
            $b.Completed | Should -Be 0
            $b.Status | Should -Be 'Pending'
            (Get-EntryNames $d) -join ',' | Should -BeExactly 'B.journal,B.json,B.json.bak,B.lock'
        }

        It 'with -Force moves an unreadable batch file aside instead of destroying it' {
            $path = New-CorruptBatch $d 'B'
            $hash = (Get-FileHash -LiteralPath $path).Hash
            $null = New-BatchState -Name fresh -Feature a -BatchId B -StateDirectory $d -Force -Confirm:$false -ErrorAction Stop
            (Get-BatchState -BatchId B -StateDirectory $d).Name | Should -BeExactly 'fresh'
            $aside = @(Get-ChildItem -LiteralPath $d -Filter 'B.json.corrupt-*')
            $aside.Count | Should -Be 1
            (Get-FileHash -LiteralPath $aside[0].FullName).Hash | Should -Be $hash
        }
    }

    Context 'invalid batch definitions create no file' {
        It 'DuplicateFeature from -Feature' {
            { New-BatchState -Name n -Feature a, b, a -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'DuplicateFeature,*'
            @(Get-EntryNames $d) | Should -BeNullOrEmpty
        }

        It 'DuplicateFeature from the pipeline, into a folder that does not exist yet' {
            $missing = New-TestStateDirectory -NoCreate
            { 'x', 'y', 'x' | New-BatchState -Name n -BatchId B -StateDirectory $missing -ErrorAction Stop } | Should -Throw -ErrorId 'DuplicateFeature,*'
            Test-Path -LiteralPath $missing | Should -BeFalse
            Remove-TestStateDirectory $missing
        }

        It 'DuplicateFeature with -Force leaves the existing batch alone' {
            $null = New-BatchState -Name keep -Feature a -BatchId B -StateDirectory $d
            $before = Get-DirectorySnapshot $d
            { New-BatchState -Name n -Feature a, a -BatchId B -StateDirectory $d -Force -ErrorAction Stop } | Should -Throw -ErrorId 'DuplicateFeature,*'
            Get-DirectorySnapshot $d | Should -Be $before
        }

        It 'InvalidFeatureName for an empty or over-long name' {
            { New-BatchState -Name n -Feature a, '' -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFeatureName,*'
            { New-BatchState -Name n -Feature ('x' * 1025) -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFeatureName,*'
            @(Get-EntryNames $d) | Should -BeNullOrEmpty
            (New-BatchState -Name n -Feature ('x' * 1024) -BatchId B -StateDirectory $d -ErrorAction Stop).Total | Should -Be 1
        }
    }

    Context 'StateFileCorrupt' {
        BeforeEach {
            $null = New-BatchState -Name good1 -Feature a -BatchId A -StateDirectory $d
            $corrupt = New-CorruptBatch $d 'B'
            $null = New-BatchState -Name good2 -Feature a -BatchId C -StateDirectory $d
            $corruptHash = (Get-FileHash -LiteralPath $corrupt).Hash
        }

        It 'Get-BatchState -BatchId reports the file and the byte offset' {
            $null = Get-BatchState -BatchId B -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileCorrupt,*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].Exception.Message | Should -BeLike "*$corrupt*"
            $err[0].Exception.Message | Should -Match 'at byte \d+'
            $err[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
            { Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateFileCorrupt,*'
            (Get-FileHash -LiteralPath $corrupt).Hash | Should -Be $corruptHash
        }

        It 'Get-BatchState without -BatchId lists the good batches and writes the corrupt one''s error' {
            $out = @(Get-BatchState -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue)
            ($out.BatchId -join ',') | Should -BeExactly 'A,C'
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileCorrupt,*'
            $err[0].Exception.Message | Should -BeLike "*$corrupt*"
            (Get-FileHash -LiteralPath $corrupt).Hash | Should -Be $corruptHash
        }

        It 'Set-FeatureResult refuses it and leaves it byte-identical' {
            { Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateFileCorrupt,*'
            (Get-FileHash -LiteralPath $corrupt).Hash | Should -Be $corruptHash
        }

        It 'Resume-BatchState refuses it, emits nothing and leaves it byte-identical' {
            $out = Resume-BatchState -BatchId B -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileCorrupt,*'
            (Get-FileHash -LiteralPath $corrupt).Hash | Should -Be $corruptHash
        }

        It 'Invoke-StateMigration reports it, migrates the others, and leaves it byte-identical' {
            $out = @(Invoke-StateMigration -StateDirectory $d -Force -ErrorVariable err -ErrorAction SilentlyContinue)
            $out.Count | Should -Be 2
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileCorrupt,*'
            (Get-FileHash -LiteralPath $corrupt).Hash | Should -Be $corruptHash
        }

        It 'names other kinds of damage: <Case>' -ForEach @(
            @{ Case = 'empty file'; Text = '' }
            @{ Case = 'JSON array'; Text = '[]' }
            @{ Case = 'wrong batchId'; Text = '{"schemaVersion":"1.0.0","batchId":"X","name":"n","createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-01T00:00:00Z","features":[]}' }
            @{ Case = 'unknown status'; Text = '{"schemaVersion":"1.0.0","batchId":"B","name":"n","createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-01T00:00:00Z","features":[{"name":"a","status":"Done"}]}' }
            @{ Case = 'duplicate feature'; Text = '{"schemaVersion":"1.0.0","batchId":"B","name":"n","createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-01T00:00:00Z","features":[{"name":"a"},{"name":"a"}]}' }
            @{ Case = 'bad schemaVersion'; Text = '{"schemaVersion":"one","batchId":"B","name":"n","createdAt":"2020-01-01T00:00:00Z","updatedAt":"2020-01-01T00:00:00Z","features":[]}' }
        ) {
            [IO.File]::WriteAllText($corrupt, $Text)
            $hash = (Get-FileHash -LiteralPath $corrupt).Hash
            { Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateFileCorrupt,*'
            { Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateFileCorrupt,*'
            (Get-FileHash -LiteralPath $corrupt).Hash | Should -Be $hash
        }

        # README ("Errors"): the target object is the file concerned.
        It 'sets TargetObject to the damaged file' {
            $null = Get-BatchState -StateDirectory $d -ErrorVariable e1 -ErrorAction SilentlyContinue
            $null = Get-BatchState -BatchId B -StateDirectory $d -ErrorVariable e2 -ErrorAction SilentlyContinue
            $null = Resume-BatchState -BatchId B -StateDirectory $d -ErrorVariable e3 -ErrorAction SilentlyContinue
            $null = Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -ErrorVariable e4 -ErrorAction SilentlyContinue
            $null = Invoke-StateMigration -StateDirectory $d -Force -ErrorVariable e5 -ErrorAction SilentlyContinue
            foreach ($err in $e1, $e2, $e3, $e4, $e5) {
                $err[0].FullyQualifiedErrorId | Should -BeLike 'StateFileCorrupt,*'
                $err[0].TargetObject | Should -Be $corrupt -Because $err[0].FullyQualifiedErrorId
            }
        }
    }

    Context 'StateVersionTooNew' {
        BeforeEach {
            $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
            $path = Join-Path $d 'B.json'
            Set-BatchSchemaVersion -Path $path -Version '2.0.0'
            $hash = (Get-FileHash -LiteralPath $path).Hash
        }

        It 'is refused by every cmdlet, naming both versions, and the file is not changed' {
            { Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateVersionTooNew,*'
            { Resume-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateVersionTooNew,*'
            { Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId 'StateVersionTooNew,*'
            { Invoke-StateMigration -StateDirectory $d -Force -ErrorAction Stop } | Should -Throw -ErrorId 'StateVersionTooNew,*'
            { Invoke-StateMigration -LiteralPath $path -Force -ErrorAction Stop } | Should -Throw -ErrorId 'StateVersionTooNew,*'
            $null = Get-BatchState -BatchId B -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $err[0].Exception.Message | Should -BeLike '*2.0.0*'
            $err[0].Exception.Message | Should -BeLike '*1.3.0*'
            $err[0].Exception.Message | Should -BeLike "*$path*"
            (Get-FileHash -LiteralPath $path).Hash | Should -Be $hash
            @(Get-ChildItem -LiteralPath $d -Force).Name -join ',' | Should -BeExactly 'B.journal,B.json,B.json.bak,B.lock'
        }

        It 'is reported by a listing that goes on with the other batches' {
            $null = New-BatchState -Name n -Feature a -BatchId C -StateDirectory $d
            $out = @(Get-BatchState -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue)
            $out.BatchId | Should -Be 'C'
            $err[0].FullyQualifiedErrorId | Should -BeLike 'StateVersionTooNew,*'
        }

        It 'does not apply to a newer minor version, whose unknown properties survive a rewrite' {
            Set-BatchSchemaVersion -Path $path -Version '1.4.0'
            $text = [IO.File]::ReadAllText($path) -replace '"attempts": 0', '"attempts": 0, "futureField": [1, 2]'
            [IO.File]::WriteAllText($path, $text)
            (Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop).SchemaVersion | Should -Be '1.4.0'
            # Finishing the batch rewrites the snapshot.
            Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -ErrorAction Stop
            Set-FeatureResult -BatchId B -Feature b -Status Completed -StateDirectory $d -ErrorAction Stop
            $json = Get-Content -LiteralPath $path -Raw | ConvertFrom-Json
            $json.schemaVersion | Should -Be '1.4.0'
            $json.features[0].status | Should -Be 'Completed'
            (@($json.features[0].futureField) -join ',') | Should -Be '1,2'
            (@($json.features[1].futureField) -join ',') | Should -Be '1,2'
        }
    }

    Context 'Set-FeatureResult -Status' {
        BeforeEach {
            $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
            $before = Get-DirectorySnapshot $d
        }

        It 'rejects <Status> at parameter binding (<ErrorId>) and records nothing' -ForEach @(
            @{ Status = 'Pending'; ErrorId = 'ParameterArgumentValidationError' }
            @{ Status = 'Done'; ErrorId = 'CannotConvertArgumentNoMessage' }
        ) {
            { Set-FeatureResult -BatchId B -Feature a -Status $Status -StateDirectory $d -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
            Get-DirectorySnapshot $d | Should -Be $before
        }

        It 'rejects a piped row whose Status is Pending, and goes on with the next row' {
            $null = New-BatchState -Name n -Feature a, b -BatchId P -StateDirectory $d
            $rows = [pscustomobject]@{ BatchId = 'P'; Feature = 'a'; Status = 'Pending' },
                    [pscustomobject]@{ BatchId = 'P'; Feature = 'b'; Status = 'Completed' }
            $rows | Set-FeatureResult -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
            $p = Get-BatchState -BatchId P -StateDirectory $d
            ($p.Features | ForEach-Object { "$($_.Feature)=$($_.Status)/$($_.Attempts)" }) -join ',' | Should -BeExactly 'a=Pending/0,b=Completed/1'
        }

        It 'accepts the status case-insensitively' {
            Set-FeatureResult -BatchId B -Feature a -Status completed -StateDirectory $d -ErrorAction Stop
            (Get-BatchState -BatchId B -StateDirectory $d).Features[0].Status | Should -Be 'Completed'
        }
    }
}
