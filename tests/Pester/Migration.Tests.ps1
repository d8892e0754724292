BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Invoke-StateMigration' {
    BeforeEach { $d = New-TestStateDirectory }
    AfterEach { Remove-TestStateDirectory $d }

    It 'reports a current file as UpToDate from 1.3.0 to 1.3.0, and leaves it alone' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        $before = Get-DirectorySnapshot $d
        $r = @(Invoke-StateMigration -StateDirectory $d -Force)
        $r.Count | Should -Be 1
        $r[0].Path | Should -Be (Join-Path $d 'B.json')
        "$($r[0].FromVersion)" | Should -Be '1.3.0'
        "$($r[0].ToVersion)" | Should -Be '1.3.0'
        "$($r[0].Action)" | Should -Be 'UpToDate'
        $r[0].BackupPath | Should -BeNullOrEmpty
        Get-DirectorySnapshot $d | Should -Be $before
    }

    It 'reads a file without schemaVersion as 1.0.0' {
        New-UnversionedBatch $d 'U'
        (Get-Content -LiteralPath (Join-Path $d 'U.json') -Raw) | Should -Not -Match 'schemaVersion'
        $b = Get-BatchState -BatchId U -StateDirectory $d -ErrorAction Stop
        $b.SchemaVersion | Should -Be '1.0.0'
        $b.Total | Should -Be 2
        (@(Resume-BatchState -BatchId U -StateDirectory $d).Feature -join ',') | Should -BeExactly 'a,b'

    }

    It 'migrates a 1.0.0 file to 1.3.0 after an identical backup of the original' {
        New-UnversionedBatch $d 'U'
        $original = (Get-FileHash -LiteralPath (Join-Path $d 'U.json')).Hash
        $r = @(Invoke-StateMigration -LiteralPath (Join-Path $d 'U.json') -Force -ErrorAction Stop)
        $r.Count | Should -Be 1
        "$($r[0].FromVersion)" | Should -Be '1.0.0'
        "$($r[0].ToVersion)" | Should -Be '1.3.0'
        "$($r[0].Action)" | Should -Be 'Migrated'
        $r[0].BackupPath | Should -Be (Join-Path $d 'U.json.v1.0.0.bak')
        (Get-FileHash -LiteralPath $r[0].BackupPath).Hash | Should -Be $original
        (Get-Content -LiteralPath (Join-Path $d 'U.json') -Raw | ConvertFrom-Json).schemaVersion | Should -Be '1.3.0'
        (Get-BatchState -BatchId U -StateDirectory $d).SchemaVersion | Should -Be '1.3.0'
        "$((Invoke-StateMigration -LiteralPath (Join-Path $d 'U.json') -Force)[0].Action)" | Should -Be 'UpToDate'
    }

    It 'asks before migrating unless -Force (ConfirmImpact High), and -Confirm:$false also goes ahead' {
        New-UnversionedBatch $d 'U'
        (Get-Command Invoke-StateMigration).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact | Should -Be 'High'
        $r = @(Invoke-StateMigration -LiteralPath (Join-Path $d 'U.json') -Confirm:$false -ErrorAction Stop)
        "$($r[0].Action)" | Should -Be 'Migrated'
    }

    It 'records results into a file without schemaVersion' {
        New-UnversionedBatch $d 'U'
        Set-FeatureResult -BatchId U -Feature a -Status Completed -StateDirectory $d -ErrorAction Stop
        (Get-BatchState -BatchId U -StateDirectory $d).Completed | Should -Be 1
    }

    It 'takes -Path with a wildcard' {
        $null = New-BatchState -Name n -Feature a -BatchId night-1 -StateDirectory $d
        $null = New-BatchState -Name n -Feature a -BatchId night-2 -StateDirectory $d
        $null = New-BatchState -Name n -Feature a -BatchId day-1 -StateDirectory $d
        $r = @(Invoke-StateMigration -Path (Join-Path $d 'night-*.json') -Force -ErrorAction Stop)
        ($r.Path | ForEach-Object { Split-Path -Leaf $_ } | Sort-Object) -join ',' | Should -BeExactly 'night-1.json,night-2.json'
    }

    It 'resolves a relative -Path against the current location' {
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $d
        Push-Location -LiteralPath $d
        try { $r = @(Invoke-StateMigration -Path '*.json' -Force -ErrorAction Stop) } finally { Pop-Location }
        $r.Path | Should -Be (Join-Path $d 'B.json')
    }

    It 'takes -LiteralPath, even in a folder whose name has wildcard characters' {
        $odd = Join-Path (Split-Path -Parent $d) 'odd[1]'
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $odd
        $r = @(Invoke-StateMigration -LiteralPath (Join-Path $odd 'B.json') -Force -ErrorAction Stop)
        $r.Count | Should -Be 1
        $r[0].Path | Should -Be (Join-Path $odd 'B.json')
        "$($r[0].Action)" | Should -Be 'UpToDate'
    }

    It 'takes files piped from Get-ChildItem (PSPath binds -LiteralPath)' {
        $null = New-BatchState -Name n -Feature a -BatchId B1 -StateDirectory $d
        $null = New-BatchState -Name n -Feature a -BatchId B2 -StateDirectory $d
        $r = @(Get-ChildItem -LiteralPath $d -Filter *.json | Invoke-StateMigration -Force -ErrorAction Stop)
        $r.Count | Should -Be 2
    }

    It 'covers every batch of -StateDirectory when no path is given' {
        foreach ($id in 'x1', 'x2', 'x3') { $null = New-BatchState -Name n -Feature a -BatchId $id -StateDirectory $d }
        New-UnversionedBatch $d 'x4'
        $r = @(Invoke-StateMigration -StateDirectory $d -Force -ErrorAction Stop)
        ($r.Path | ForEach-Object { Split-Path -Leaf $_ } | Sort-Object) -join ',' | Should -BeExactly 'x1.json,x2.json,x3.json,x4.json'
        (@($r | Where-Object { "$($_.Action)" -ne 'UpToDate' }).Path | Split-Path -Leaf) | Should -Be 'x4.json'
        "$(($r | Where-Object Path -Like '*x4.json').Action)" | Should -Be 'Migrated'
    }

    It 'reports a missing literal file as BatchNotFound' {
        $null = Invoke-StateMigration -LiteralPath (Join-Path $d 'none.json') -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'
    }
}
