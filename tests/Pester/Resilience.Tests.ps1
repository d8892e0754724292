BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Dependencies (New-BatchState -DependsOn)' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'hands features out after what they depend on' {
        $null = 'web', 'app', 'cache', 'db' | New-BatchState -Name deploy -BatchId D -StateDirectory $d -DependsOn @{ app = 'db'; web = 'app', 'cache' }
        $order = Resume-BatchState -BatchId D -StateDirectory $d | ForEach-Object { $_.Feature; $_ | Set-FeatureResult -Status Completed }
        ($order -join ',') | Should -BeExactly 'cache,db,app,web'
        (Get-BatchState -BatchId D -StateDirectory $d).Features.Where({ $_.Feature -eq 'web' }).DependsOn -join ',' | Should -Be 'app,cache'
    }

    It 'skips, with the reason, what depends on a feature that failed for good, and goes on with the rest' {
        $null = 'db', 'app', 'web', 'other' | New-BatchState -Name deploy -BatchId D -StateDirectory $d -DependsOn @{ app = 'db'; web = 'app' }
        $seen = Resume-BatchState -BatchId D -StateDirectory $d | ForEach-Object {
            $_.Feature
            if ($_.Feature -eq 'db') { $_ | Set-FeatureResult -Status Failed -ErrorMessage 'disk full' -Permanent }
            else { $_ | Set-FeatureResult -Status Completed }
        }
        ($seen -join ',') | Should -BeExactly 'db,other'
        $b = Get-BatchState -BatchId D -StateDirectory $d
        ($b.Features | ForEach-Object { "$($_.Feature)=$($_.Status)" }) -join ',' | Should -BeExactly 'db=Failed,app=Skipped,web=Skipped,other=Completed'
        $b.Features[1].LastError | Should -BeLike "Skipped because 'db' did not complete*disk full*"
        $b.Status | Should -Be 'CompletedWithFailures'
    }

    It 'refuses <Label> at creation and creates nothing' -ForEach @(
        @{ Label = 'a cycle'; Deps = @{ a = 'b'; b = 'a' }; Id = 'DependencyCycle' }
        @{ Label = 'an unknown name'; Deps = @{ a = 'zz' }; Id = 'UnknownDependency' }
    ) {
        { New-BatchState -Name n -Feature a, b -BatchId D -StateDirectory $d -DependsOn $Deps -ErrorAction Stop } | Should -Throw -ErrorId "$Id,*"
        @(Get-ChildItem -LiteralPath $d).Count | Should -Be 0
    }
}

Describe 'Failures: permanent, retried after a backoff, and the circuit breaker' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'never retries a permanent failure, given with -Permanent or by the exception type of -ErrorRecord' {
        $null = New-BatchState -Name n -Feature a, b, c -BatchId P -StateDirectory $d -PermanentErrorType UnauthorizedAccessException
        Set-FeatureResult -BatchId P -Feature a -Status Failed -ErrorMessage 'gone' -Permanent -StateDirectory $d
        $denied = [System.Management.Automation.ErrorRecord]::new([UnauthorizedAccessException]::new('access denied'), 'Denied', 'PermissionDenied', 'b')
        Set-FeatureResult -BatchId P -Feature b -Status Failed -ErrorRecord $denied -StateDirectory $d
        $timeout = [System.Management.Automation.ErrorRecord]::new([TimeoutException]::new('slow'), 'Slow', 'OperationTimeout', 'c')
        Set-FeatureResult -BatchId P -Feature c -Status Failed -ErrorRecord $timeout -StateDirectory $d
        $b = Get-BatchState -BatchId P -StateDirectory $d
        ($b.Features | ForEach-Object { "$($_.Feature)=$($_.Permanent)/$($_.LastError)" }) -join ',' | Should -BeExactly 'a=True/gone,b=True/access denied,c=False/slow'
        (Resume-BatchState -BatchId P -StateDirectory $d).Feature | Should -Be 'c'
    }

    It 'hands a failure out again only after its retry delay, and -Wait waits for it' {
        $null = New-BatchState -Name n -Feature a -BatchId R -StateDirectory $d -RetryDelay 1 -MaxAttempts 2
        Set-FeatureResult -BatchId R -Feature a -Status Failed -ErrorMessage 'busy' -StateDirectory $d
        (Get-BatchState -BatchId R -StateDirectory $d).Features[0].RetryAt | Should -BeGreaterThan ([DateTime]::UtcNow)
        @(Resume-BatchState -BatchId R -StateDirectory $d).Count | Should -Be 0
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $waited = @(Resume-BatchState -BatchId R -StateDirectory $d -Wait | ForEach-Object { $_.Feature; $_ | Set-FeatureResult -Status Completed })
        $waited | Should -Be 'a'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
        (Get-BatchState -BatchId R -StateDirectory $d).Status | Should -Be 'Completed'
    }

    It 'matches a permanent error type inside the MethodInvocationException PowerShell wraps a .NET exception in' {
        $null = New-BatchState -Name n -Feature a, b -BatchId W -StateDirectory $d -PermanentErrorType DirectoryNotFoundException
        try { [IO.File]::ReadAllText((Join-Path $d 'no/such/folder/file.txt')) }
        catch { Set-FeatureResult -BatchId W -Feature a -Status Failed -ErrorRecord $_ -StateDirectory $d }
        $a = (Get-BatchState -BatchId W -StateDirectory $d).Features[0]
        $a.Permanent | Should -BeTrue
        $a.LastError | Should -BeLike '*ReadAllText*'
        (Resume-BatchState -BatchId W -StateDirectory $d).Feature | Should -Be 'b'
    }

    It 'matches a permanent error type by what derives from it, as catch [Type] does' {
        $null = New-BatchState -Name n -Feature a, b -BatchId V -StateDirectory $d -PermanentErrorType System.IO.IOException
        try { throw [IO.FileNotFoundException]::new('no file') } catch { Set-FeatureResult -BatchId V -Feature a -Status Failed -ErrorRecord $_ -StateDirectory $d }
        try { throw [TimeoutException]::new('slow') } catch { Set-FeatureResult -BatchId V -Feature b -Status Failed -ErrorRecord $_ -StateDirectory $d }
        ((Get-BatchState -BatchId V -StateDirectory $d).Features | ForEach-Object { "$($_.Feature)=$($_.Permanent)" }) -join ',' | Should -BeExactly 'a=True,b=False'
    }

    It 'with -Wait hands out again, after its backoff, a failure recorded during the same run, until its attempts are spent' {
        $null = New-BatchState -Name n -Feature flaky, ok -BatchId F -StateDirectory $d -RetryDelay 0.2 -MaxRetryDelay 0.4 -MaxAttempts 3
        $handed = @(Resume-BatchState -BatchId F -StateDirectory $d -Wait | ForEach-Object {
            $item = $_
            "$($item.Feature)/$($item.Attempts)"
            try { if ($item.Feature -eq 'flaky') { throw 'still down' }; $item | Set-FeatureResult -Status Completed }
            catch { $item | Set-FeatureResult -Status Failed -ErrorRecord $_ }
        })
        ($handed -join ',') | Should -BeExactly 'flaky/0,ok/0,flaky/1,flaky/2'
        $flaky = (Get-BatchState -BatchId F -StateDirectory $d).Features[0]
        "$($flaky.Status)/$($flaky.Attempts)" | Should -Be 'Failed/3'
    }

    It 'with -Wait does not hand a feature out again when nothing was recorded for it' {
        $null = New-BatchState -Name n -Feature a, b -BatchId N -StateDirectory $d
        (Resume-BatchState -BatchId N -StateDirectory $d -Wait).Feature -join ',' | Should -BeExactly 'a,b'
    }

    It 'suspends the batch after failures in a row, says why, and -Reset resumes it' {
        $null = New-BatchState -Name n -Feature a, b, c, d -BatchId S -StateDirectory $d -MaxConsecutiveFailures 2
        $handed = @(Resume-BatchState -BatchId S -StateDirectory $d -WarningVariable warned -WarningAction SilentlyContinue |
            ForEach-Object { $_.Feature; $_ | Set-FeatureResult -Status Failed -ErrorMessage 'service down' })
        ($handed -join ',') | Should -BeExactly 'a,b'
        ($warned -join ' ') | Should -BeLike "*suspended after 2 failures in a row*-Reset*"
        $b = Get-BatchState -BatchId S -StateDirectory $d
        $b.Status | Should -Be 'Suspended'
        $b.ConsecutiveFailures | Should -Be 2
        @(Resume-BatchState -BatchId S -StateDirectory $d -WarningAction SilentlyContinue).Count | Should -Be 0

        $again = @(Resume-BatchState -BatchId S -StateDirectory $d -Reset | ForEach-Object { $_.Feature; $_ | Set-FeatureResult -Status Completed })
        ($again -join ',') | Should -BeExactly 'a,b,c,d'
        (Get-BatchState -BatchId S -StateDirectory $d).Status | Should -Be 'Completed'
    }

    It 'ends every Resume-BatchState with a summary line on the information stream' {
        $null = New-BatchState -Name n -Feature a, b, c -BatchId Y -StateDirectory $d
        Resume-BatchState -BatchId Y -StateDirectory $d -InformationVariable info | ForEach-Object {
            if ($_.Feature -eq 'b') { $_ | Set-FeatureResult -Status Failed -ErrorMessage 'x' } else { $_ | Set-FeatureResult -Status Completed }
        }
        "$($info[-1])" | Should -BeExactly 'Completed 2/3, 1 failed, 0 skipped; resume with: Resume-BatchState -BatchId Y'
    }

    It 'writes the summary line also when the pipeline ends early: Select-Object -First, or an error downstream' {
        $null = New-BatchState -Name n -Feature a, b, c, d, e -BatchId Z -StateDirectory $d
        Resume-BatchState -BatchId Z -StateDirectory $d -InformationVariable first | Select-Object -First 2 | Set-FeatureResult -Status Completed
        "$first" | Should -BeExactly 'Completed 2/5, 0 failed, 0 skipped; resume with: Resume-BatchState -BatchId Z'
        $thrown = $null
        try { Resume-BatchState -BatchId Z -StateDirectory $d -InformationVariable failed | ForEach-Object { throw 'downstream broke' } }
        catch { $thrown = $_ }
        "$thrown" | Should -BeExactly 'downstream broke'
        "$failed" | Should -BeExactly 'Completed 2/5, 0 failed, 0 skipped; resume with: Resume-BatchState -BatchId Z'
    }
}

Describe 'Context budget and checkpoints' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'adds -ContextTokens up to the limit, and Reset-BatchContext records the clear' {
        $null = New-BatchState -Name n -Feature a, b -BatchId C -StateDirectory $d -ContextTokenLimit 1000
        Set-FeatureResult -BatchId C -Feature a -Status Completed -ContextTokens 700 -StateDirectory $d
        (Get-BatchState -BatchId C -StateDirectory $d).ShouldClearContext | Should -BeFalse
        Set-FeatureResult -BatchId C -Feature b -Status Failed -ErrorMessage x -ContextTokens 300 -StateDirectory $d
        $b = Get-BatchState -BatchId C -StateDirectory $d
        ($b.ContextTokens, $b.ShouldClearContext) | Should -Be 1000, $true

        Reset-BatchContext -BatchId C -StateDirectory $d -WhatIf
        (Get-BatchState -BatchId C -StateDirectory $d).ContextTokens | Should -Be 1000
        $after = Reset-BatchContext -BatchId C -StateDirectory $d -PassThru
        ($after.ContextTokens, $after.ContextClears, $after.ShouldClearContext) | Should -Be 0, 1, $false
    }

    It 'Checkpoint-BatchState folds the journal into B.json and counts the checkpoint' {
        $null = New-BatchState -Name n -Feature a, b -BatchId K -StateDirectory $d
        Set-FeatureResult -BatchId K -Feature a -Status Completed -StateDirectory $d
        (Get-Content -LiteralPath (Join-Path $d 'K.json') -Raw | ConvertFrom-Json).features[0].status | Should -Be 'Pending'
        $b = Get-BatchState -BatchId K -StateDirectory $d | Checkpoint-BatchState -PassThru
        ($b.CheckpointCount, $b.Completed) | Should -Be 1, 1
        $b.LastCheckpointAt | Should -Not -BeNullOrEmpty
        $json = Get-Content -LiteralPath (Join-Path $d 'K.json') -Raw | ConvertFrom-Json
        $json.features[0].status | Should -Be 'Completed'
        $json.checkpoints.count | Should -Be 1
    }
}
