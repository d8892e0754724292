BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'New-BatchState' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'creates B.json, its backup B.json.bak, B.journal and B.lock and emits a BatchState' {
        $b = New-BatchState -Name 'first' -Feature a, b, c -BatchId B -StateDirectory $d
        $b | Should -BeOfType 'StateCmdlets.BatchState'
        $b.BatchId | Should -BeExactly 'B'
        $b.Name | Should -BeExactly 'first'
        $b.Total | Should -Be 3
        $b.Pending | Should -Be 3
        $b.Status | Should -Be 'Pending'
        $b.MaxAttempts | Should -Be 3
        $b.SchemaVersion | Should -Be '1.3.0'
        $b.StateDirectory | Should -Be $d
        $b.Path | Should -Be (Join-Path $d 'B.json')
        $b.CreatedAt.Kind | Should -Be 'Utc'
        $b.UpdatedAt | Should -Be $b.CreatedAt
        (Get-EntryNames $d) -join ',' | Should -BeExactly 'B.journal,B.json,B.json.bak,B.lock'
        $json = Get-Content -LiteralPath (Join-Path $d 'B.json') -Raw | ConvertFrom-Json
        $json.schemaVersion | Should -Be '1.3.0'
        $json.batchId | Should -BeExactly 'B'
        @($json.features.name) -join ',' | Should -BeExactly 'a,b,c'
    }

    It 'generates an id batch-yyyyMMdd-HHmmss-hex when -BatchId is omitted' {
        $b = New-BatchState -Name 'auto' -Feature a -StateDirectory $d
        $b.BatchId | Should -MatchExactly '^batch-\d{8}-\d{6}-[0-9a-f]{4}$'
        Test-Path -LiteralPath (Join-Path $d "$($b.BatchId).json") | Should -BeTrue
    }

    It 'takes -MaxAttempts' {
        (New-BatchState -Name n -Feature a -BatchId B -MaxAttempts 7 -StateDirectory $d).MaxAttempts | Should -Be 7
        (Get-BatchState -BatchId B -StateDirectory $d).MaxAttempts | Should -Be 7
    }

    It 'keeps features from -Feature first, then from the pipeline' {
        $b = 'p1', 'p2' | New-BatchState -Name n -Feature f1, f2 -BatchId B -StateDirectory $d
        @($b.Features.Feature) -join ',' | Should -BeExactly 'f1,f2,p1,p2'
        @($b.Features.Index) -join ',' | Should -Be '0,1,2,3'
    }

    It 'treats feature names case-sensitively and keeps any Unicode text' {
        $names = 'a', 'A', 'ünïcødé ✓', 'with space', '日本語', '🚀 rocket'
        $b = New-BatchState -Name n -Feature $names -BatchId B -StateDirectory $d
        @($b.Features.Feature) -join '|' | Should -BeExactly ($names -join '|')
        @((Get-BatchState -BatchId B -StateDirectory $d).Features.Feature) -join '|' | Should -BeExactly ($names -join '|')
    }

    It 'warns about, but creates, a batch with no features; it is Completed at once' {
        $b = New-BatchState -Name empty -BatchId E -StateDirectory $d -WarningVariable w -WarningAction SilentlyContinue
        $w.Count | Should -Be 1
        $b.Total | Should -Be 0
        $b.Status | Should -Be 'Completed'
        @(Resume-BatchState -BatchId E -StateDirectory $d).Count | Should -Be 0
    }
}

Describe 'Get-BatchState counters, status and filtering' {
    BeforeAll {
        $d = New-TestStateDirectory
        $null = New-BatchState -Name 'nightly pending' -Feature a, b, c -BatchId P -StateDirectory $d
        $null = New-BatchState -Name 'nightly mixed' -Feature a, b, c, d, e -BatchId M -StateDirectory $d
        Set-FeatureResult -BatchId M -Feature a -Status Completed -StateDirectory $d
        Set-FeatureResult -BatchId M -Feature b -Status Failed -ErrorMessage 'boom' -StateDirectory $d
        Set-FeatureResult -BatchId M -Feature c -Status Skipped -ErrorMessage 'not needed' -StateDirectory $d
        Set-FeatureResult -BatchId M -Feature e -Status Completed -StateDirectory $d
        $null = New-BatchState -Name 'weekly done' -Feature x, y -BatchId C -StateDirectory $d
        Set-FeatureResult -BatchId C -Feature x -Status Completed -StateDirectory $d
        Set-FeatureResult -BatchId C -Feature y -Status Skipped -StateDirectory $d
    }

    It 'lists every batch of the directory, oldest first' {
        @(Get-BatchState -StateDirectory $d).BatchId -join ',' | Should -BeExactly 'P,M,C'
    }

    It 'finds exactly the batch with failures with Where-Object Failed -gt 0' {
        $failed = @(Get-BatchState -StateDirectory $d | Where-Object Failed -GT 0)
        $failed.Count | Should -Be 1
        $failed[0].BatchId | Should -BeExactly 'M'
    }

    It 'counts Total/Completed/Failed/Skipped/Pending from the features' {
        $all = @{}
        Get-BatchState -StateDirectory $d | ForEach-Object { $all[$_.BatchId] = $_ }
        $expected = @{
            P = 3, 0, 0, 0, 3
            M = 5, 2, 1, 1, 1
            C = 2, 1, 0, 1, 0
        }
        foreach ($id in $expected.Keys) {
            $b = $all[$id]
            @($b.Total, $b.Completed, $b.Failed, $b.Skipped, $b.Pending) -join ',' | Should -Be ($expected[$id] -join ',') -Because "batch $id"
        }
    }

    It 'derives Status: Pending, Running, Completed' {
        (Get-BatchState -BatchId P -StateDirectory $d).Status | Should -Be 'Pending'
        (Get-BatchState -BatchId M -StateDirectory $d).Status | Should -Be 'Running'
        (Get-BatchState -BatchId C -StateDirectory $d).Status | Should -Be 'Completed'
    }

    It 'shows progress as done (completed + skipped) of total, and a percentage' {
        (Get-BatchState -BatchId M -StateDirectory $d).Progress | Should -Be '3/5 (60%)'
    }

    It 'gets batches by name with wildcards, case-insensitively' {
        @(Get-BatchState -Name 'NIGHTLY*' -StateDirectory $d).BatchId -join ',' | Should -BeExactly 'P,M'
        @(Get-BatchState 'weekly done' -StateDirectory $d).BatchId -join ',' | Should -BeExactly 'C'
    }

    It 'reports a literal name that matches nothing as BatchNotFound, a wildcard that matches nothing silently' {
        $out = Get-BatchState -Name 'no such batch' -StateDirectory $d -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'
        $err[0].TargetObject | Should -BeExactly 'no such batch'

        $out = Get-BatchState -Name 'zzz*' -StateDirectory $d -ErrorVariable err2 -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err2.Count | Should -Be 0
    }

    It 'gets several batches by id' {
        @(Get-BatchState -BatchId C, P -StateDirectory $d).BatchId -join ',' | Should -BeExactly 'C,P'
    }
}

Describe 'Batch Status through a batch''s life' {
    BeforeAll {
        $d = New-TestStateDirectory
        $null = New-BatchState -Name life -Feature x, y -BatchId L -MaxAttempts 2 -StateDirectory $d
        function Get-L { Get-BatchState -BatchId L -StateDirectory $d -ErrorAction Stop }
    }

    It 'is Pending before any result' {
        (Get-L).Status | Should -Be 'Pending'
    }

    It 'is Running once a result is recorded and work is left' {
        Set-FeatureResult -BatchId L -Feature x -Status Completed -StateDirectory $d
        (Get-L).Status | Should -Be 'Running'
    }

    It 'stays Running while a failed feature has attempts left' {
        Set-FeatureResult -BatchId L -Feature y -Status Failed -ErrorMessage 'first' -StateDirectory $d
        $b = Get-L
        $b.Status | Should -Be 'Running'
        $b.Pending | Should -Be 0
        @(Resume-BatchState -BatchId L -StateDirectory $d).Feature | Should -Be 'y'
    }

    It 'is CompletedWithFailures when every failed feature used MaxAttempts and nothing is pending' {
        Set-FeatureResult -BatchId L -Feature y -Status Failed -ErrorMessage 'second' -StateDirectory $d
        $b = Get-L
        $b.Status | Should -Be 'CompletedWithFailures'
        $b.Failed | Should -Be 1
        $b.Features[1].Attempts | Should -Be 2
        $b.Features[1].LastError | Should -BeExactly 'second'
        @(Resume-BatchState -BatchId L -StateDirectory $d) | Should -BeNullOrEmpty
    }

    It 'becomes Completed when the failed feature is recorded Completed after all' {
        Set-FeatureResult -BatchId L -Feature y -Status Completed -StateDirectory $d
        $b = Get-L
        $b.Status | Should -Be 'Completed'
        $b.Features[1].Attempts | Should -Be 3
    }

    It 'is Running, not Pending, when the only results are failures with attempts left' {
        $null = New-BatchState -Name f -Feature p, q -BatchId F -StateDirectory $d
        Set-FeatureResult -BatchId F -Feature p -Status Failed -StateDirectory $d
        Set-FeatureResult -BatchId F -Feature q -Status Failed -StateDirectory $d
        (Get-BatchState -BatchId F -StateDirectory $d).Status | Should -Be 'Running'
    }
}

Describe 'Resume-BatchState and Set-FeatureResult semantics' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'emits the features in batch order, with Index' {
        $names = 'zeta', 'alpha', 'mu', '10', '9'
        $null = New-BatchState -Name n -Feature $names -BatchId B -StateDirectory $d
        $out = @(Resume-BatchState -BatchId B -StateDirectory $d)
        ($out.Feature -join ',') | Should -BeExactly ($names -join ',')
        ($out.Index -join ',') | Should -Be '0,1,2,3,4'
        $out[0] | Should -BeOfType 'StateCmdlets.FeatureState'
        $out[0].BatchId | Should -BeExactly 'B'
        $out[0].StateDirectory | Should -Be $d
        $out[0].Status | Should -Be 'Pending'
        $out[0].Attempts | Should -Be 0
    }

    It 'emits only what is left, keeping order' {
        $null = New-BatchState -Name n -Feature a, b, c, d -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature b -Status Completed -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature d -Status Skipped -StateDirectory $d
        (@(Resume-BatchState -BatchId B -StateDirectory $d).Feature -join ',') | Should -BeExactly 'a,c'
    }

    It 're-emits a failed feature, in its place, until Attempts reaches MaxAttempts' {
        $null = New-BatchState -Name n -Feature a, b, c -BatchId B -MaxAttempts 3 -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        foreach ($attempt in 1..3) {
            $left = @(Resume-BatchState -BatchId B -StateDirectory $d)
            ($left.Feature -join ',') | Should -BeExactly 'b,c' -Because "before failure $attempt"
            $left[0].Attempts | Should -Be ($attempt - 1)
            Set-FeatureResult -BatchId B -Feature b -Status Failed -ErrorMessage "failure $attempt" -StateDirectory $d
        }
        $left = @(Resume-BatchState -BatchId B -StateDirectory $d)
        ($left.Feature -join ',') | Should -BeExactly 'c'
        $b = (Get-BatchState -BatchId B -StateDirectory $d).Features[1]
        $b.Attempts | Should -Be 3
        $b.Status | Should -Be 'Failed'
        $b.LastError | Should -BeExactly 'failure 3'
    }

    It 'skips failed features with -IncludeFailed:$false' {
        $null = New-BatchState -Name n -Feature a, b, c -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -StateDirectory $d
        (@(Resume-BatchState -BatchId B -StateDirectory $d).Feature -join ',') | Should -BeExactly 'a,b,c'
        (@(Resume-BatchState -BatchId B -StateDirectory $d -IncludeFailed:$false).Feature -join ',') | Should -BeExactly 'b,c'
        (@(Resume-BatchState -BatchId B -StateDirectory $d -IncludeFailed).Feature -join ',') | Should -BeExactly 'a,b,c'
    }

    It 'stores the -ErrorMessage of a Skipped result in LastError and never re-emits it' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Skipped -ErrorMessage 'server retired' -StateDirectory $d
        $a = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
        $a.Status | Should -Be 'Skipped'
        $a.LastError | Should -BeExactly 'server retired'
        $a.CompletedAt | Should -BeNullOrEmpty
        $a.Attempts | Should -Be 1
        (@(Resume-BatchState -BatchId B -StateDirectory $d).Feature -join ',') | Should -BeExactly 'b'
    }

    It 'clears LastError when a feature is then Completed, and sets CompletedAt' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -ErrorMessage 'timeout' -StateDirectory $d
        (Get-BatchState -BatchId B -StateDirectory $d).Features[0].LastError | Should -BeExactly 'timeout'
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        $a = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
        $a.LastError | Should -BeNullOrEmpty
        $a.Status | Should -Be 'Completed'
        $a.CompletedAt | Should -Not -BeNullOrEmpty
        $a.CompletedAt.Kind | Should -Be 'Utc'
        $a.UpdatedAt | Should -Be $a.CompletedAt
        $a.Attempts | Should -Be 2
    }

    It 'emits nothing without -PassThru and the recorded FeatureState with it' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        $none = Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        $none | Should -BeNullOrEmpty
        $f = Set-FeatureResult -BatchId B -Feature b -Status Failed -ErrorMessage 'nope' -StateDirectory $d -PassThru
        @($f).Count | Should -Be 1
        $f | Should -BeOfType 'StateCmdlets.FeatureState'
        $f.BatchId | Should -BeExactly 'B'
        $f.Feature | Should -BeExactly 'b'
        $f.Index | Should -Be 1
        $f.Status | Should -Be 'Failed'
        $f.Attempts | Should -Be 1
        $f.LastError | Should -BeExactly 'nope'
        $f.StateDirectory | Should -Be $d
    }

    It 'stores -Data as JSON and gives it back as objects' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        $f = Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -PassThru -Data @{ a = 1; b = @{ c = 'x' }; list = 1, 2, 3 }
        $f.Data.b.c | Should -BeExactly 'x'
        @($f.Data.list).Count | Should -Be 3
        $f.Data.a | Should -Be 1

        $again = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
        $again.Data.a | Should -Be 1
        $again.Data.b.c -eq 'x' | Should -BeTrue
        @($again.Data.list).Count | Should -Be 3
        (@($again.Data.list) -join ',') | Should -Be '1,2,3'

        $raw = (Get-Content -LiteralPath (Join-Path $d 'B.json') -Raw | ConvertFrom-Json).features[0].data
        $raw.b.c | Should -BeExactly 'x'
    }

    It 'round-trips a PSCustomObject as -Data' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -Data ([pscustomobject]@{ Name = 'srv01'; Ok = $true; Size = 12.5 })
        $data = (Get-BatchState -BatchId B -StateDirectory $d).Features[0].Data
        $data.Name | Should -BeExactly 'srv01'
        $data.Ok | Should -BeTrue
        $data.Size | Should -Be 12.5
    }

    It 'keeps the old Data when a later result omits -Data' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -ErrorMessage 'x' -StateDirectory $d -Data @{ step = 'copied' }
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        $a = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
        $a.Status | Should -Be 'Completed'
        $a.Data.step | Should -BeExactly 'copied'
    }

    It 'replaces the Data when a later result gives -Data' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Failed -StateDirectory $d -Data @{ step = 'copied' }
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d -Data @{ other = 2 }
        $a = (Get-BatchState -BatchId B -StateDirectory $d).Features[0]
        $a.Data.other | Should -Be 2
        $a.Data.PSObject.Properties.Name | Should -Not -Contain 'step'
    }

    It 'has the result on disk as soon as Set-FeatureResult returns: one line in B.journal, seen by another process' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        $snapshot = (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        # The snapshot is not rewritten per result; the journal gains one JSON line.
        (Get-FileHash -LiteralPath (Join-Path $d 'B.json')).Hash | Should -Be $snapshot
        # The zeros allocated after the records are not lines.
        $lines = @(Get-Content -LiteralPath (Join-Path $d 'B.journal') | Where-Object { $_.Trim([char]0) })
        $lines.Count | Should -Be 2
        $record = $lines[1] | ConvertFrom-Json
        $record.feature | Should -BeExactly 'a'
        $record.status | Should -BeExactly 'Completed'
        $record.seq | Should -Be 1
        # No lock, no cache: a separate process reads snapshot plus journal and sees the result.
        $seen = & $PwshPath -NoProfile -NonInteractive -Command "Import-Module '$ModuleManifestPath'; (Get-BatchState -BatchId B -StateDirectory '$d').Features | ForEach-Object { `$_.Status.ToString() }"
        ($seen -join ',') | Should -BeExactly 'Completed,Pending'
    }

    It 'folds the journal into B.json when the batch finishes, so other tools read one file' {
        $null = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $d
        Set-FeatureResult -BatchId B -Feature b -Status Skipped -ErrorMessage gone -StateDirectory $d
        $json = Get-Content -LiteralPath (Join-Path $d 'B.json') -Raw | ConvertFrom-Json
        ($json.features.status -join ',') | Should -BeExactly 'Completed,Skipped'
        $json.journalSequence | Should -Be 2
        @(Get-Content -LiteralPath (Join-Path $d 'B.journal') | Where-Object { $_.Trim([char]0) }).Count | Should -Be 1
    }
}

Describe 'Feature data with repeated names' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'reads data whose JSON repeats a property name (or differs only in case): the last one wins' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        $data = [System.Collections.Generic.Dictionary[string, object]]::new([StringComparer]::Ordinal)
        $data['Key'] = 1
        $data['key'] = 2
        Set-FeatureResult -BatchId B -Feature a -Status Completed -Data $data -StateDirectory $d
        $f = (Get-BatchState -BatchId B -StateDirectory $d -ErrorAction Stop).Features[0]
        $f.Data.key | Should -Be 2
    }
}
