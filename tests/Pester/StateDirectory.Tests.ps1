BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'State directory resolution' {
    BeforeEach {
        $savedHome = $env:STATECMDLETS_HOME
        $decoy = New-TestStateDirectory
        $env:STATECMDLETS_HOME = $decoy
        $root = Split-Path -Parent (New-TestStateDirectory)
    }
    AfterEach {
        $env:STATECMDLETS_HOME = $savedHome
        Remove-TestStateDirectory $decoy
        Remove-TestStateDirectory (Join-Path $root 'state')
    }

    It 'resolves a relative -StateDirectory against the current PowerShell location' {
        # The PowerShell location, not the process's current directory (which Push-Location does not move).
        [Environment]::CurrentDirectory | Should -Not -Be $root
        Push-Location -LiteralPath $root
        try {
            $b = New-BatchState -Name n -Feature a -BatchId B -StateDirectory 'rel'
            Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory 'rel'
            $got = Get-BatchState -BatchId B -StateDirectory 'rel'
            $viaDotSlash = Get-BatchState -BatchId B -StateDirectory './rel'
        }
        finally { Pop-Location }
        $expected = Join-Path $root 'rel'
        Test-Path -LiteralPath (Join-Path $expected 'B.json') | Should -BeTrue
        $b.StateDirectory | Should -Be $expected
        $b.Path | Should -Be (Join-Path $expected 'B.json')
        $got.Completed | Should -Be 1
        $viaDotSlash.StateDirectory | Should -Be $expected
        Test-Path -LiteralPath (Join-Path ([Environment]::CurrentDirectory) 'rel/B.json') | Should -BeFalse
        (Get-EntryNames $decoy).Count | Should -Be 0
    }

    It 'resolves a PSDrive path to its file-system folder' {
        $drive = 'SCT' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $null = New-PSDrive -Name $drive -PSProvider FileSystem -Root $root
        try {
            $b = New-BatchState -Name n -Feature a, b -BatchId B -StateDirectory "${drive}:\viadrive"
            Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory "${drive}:/viadrive"
            $got = Get-BatchState -BatchId B -StateDirectory "${drive}:\viadrive"
            $left = @(Resume-BatchState -BatchId B -StateDirectory "${drive}:\viadrive")
        }
        finally { Remove-PSDrive -Name $drive }
        $expected = Join-Path $root 'viadrive'
        Test-Path -LiteralPath (Join-Path $expected 'B.json') | Should -BeTrue
        $b.StateDirectory | Should -Be $expected
        $got.Completed | Should -Be 1
        $left.Feature | Should -Be 'b'
        $left[0].StateDirectory | Should -Be $expected
    }

    It 'refuses a -StateDirectory on a provider other than the file system (StateDirectoryNotFileSystem)' {
        { Get-BatchState -StateDirectory 'Env:\' -ErrorAction Stop } | Should -Throw -ErrorId 'StateDirectoryNotFileSystem,*'
        { New-BatchState -Name n -Feature a -BatchId B -StateDirectory 'Variable:\' -ErrorAction Stop } | Should -Throw -ErrorId 'StateDirectoryNotFileSystem,*'
    }

    It 'uses $env:STATECMDLETS_HOME when -StateDirectory is omitted' {
        $homeDir = Join-Path $root 'home'
        $env:STATECMDLETS_HOME = $homeDir
        $b = New-BatchState -Name n -Feature a, b -BatchId B
        Set-FeatureResult -BatchId B -Feature a -Status Completed
        $left = @(Resume-BatchState -BatchId B)
        $listed = @(Get-BatchState)

        $b.StateDirectory | Should -Be $homeDir
        Test-Path -LiteralPath (Join-Path $homeDir 'B.json') | Should -BeTrue
        $left.Feature | Should -Be 'b'
        $listed.BatchId | Should -Be 'B'
        Remove-BatchState -BatchId B -Confirm:$false
        @(Get-EntryNames $homeDir) | Should -BeNullOrEmpty
    }

    It 'prefers -StateDirectory over $env:STATECMDLETS_HOME' {
        $explicit = Join-Path $root 'explicit'
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $explicit
        Test-Path -LiteralPath (Join-Path $explicit 'B.json') | Should -BeTrue
        (Get-EntryNames $decoy).Count | Should -Be 0
        { Get-BatchState -BatchId B -ErrorAction Stop } | Should -Throw -ErrorId 'BatchNotFound,*'
    }

    It 'creates the state folder 0700 and its files 0600 (Linux)' {
        if (-not $IsLinuxHost) { Set-ItResult -Skipped -Because 'file modes are checked on Linux only'; return }
        $dir = Join-Path $root 'private'
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $dir
        Get-UnixMode $dir | Should -Be '700'
        Get-UnixMode (Join-Path $dir 'B.json') | Should -Be '600'
        Get-UnixMode (Join-Path $dir 'B.lock') | Should -Be '600'
        # A rewrite replaces B.json with a new file: still owner-only.
        Set-FeatureResult -BatchId B -Feature a -Status Completed -StateDirectory $dir
        Get-UnixMode (Join-Path $dir 'B.json') | Should -Be '600'
    }

    It 'creates missing parent folders of the state folder' {
        $dir = Join-Path $root 'a/b/c'
        $null = New-BatchState -Name n -Feature a -BatchId B -StateDirectory $dir
        Test-Path -LiteralPath (Join-Path $dir 'B.json') | Should -BeTrue
    }
}
