BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    # Runs one command on a path; returns its error ids. A terminating error fails the test: every
    # path problem is non-terminating, so the other paths of a pipeline still get their turn.
    function Get-PathErrorId([scriptblock] $Command, [string] $Path, [string] $Directory) {
        $ErrorActionPreference = 'Continue'
        $output = & $Command $Path $Directory 2>&1
        @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] })
    }
}

AfterAll {
    Remove-TestStateDirectory
}

# Every command that takes -Path or -LiteralPath resolves it the same way (one resolver): a path
# that names nothing is StateFileNotFound, a path on another provider StateFileNotFileSystem, both
# non-terminating, and wildcards match files through the FileSystem provider only.
BeforeDiscovery {
    $step = "@{ '1.0.0' = { param(`$doc) `$doc.Migrated = `$true; '1.1.0' } }"
    $commands = @(
        @{ Name = 'Read-StateFile -Path'; Kind = 'StateFile'; Reads = $true; Command = 'param($p, $d) Read-StateFile -Path $p' }
        @{ Name = 'Read-StateFile -LiteralPath'; Kind = 'StateFile'; Reads = $true; Literal = $true; Command = 'param($p, $d) Read-StateFile -LiteralPath $p' }
        @{ Name = 'Test-StateFile -Path'; Kind = 'StateFile'; Reads = $true; Command = 'param($p, $d) Test-StateFile -Path $p' }
        @{ Name = 'Test-StateFile -LiteralPath'; Kind = 'StateFile'; Reads = $true; Literal = $true; Command = 'param($p, $d) Test-StateFile -LiteralPath $p' }
        @{ Name = 'Save-StateFile -Path'; Kind = 'StateFile'; Literal = $true; Command = 'param($p, $d) @{ Saved = 1 } | Save-StateFile -Path $p' }
        @{ Name = 'Update-StateFile -Path'; Kind = 'StateFile'; Literal = $true; Command = 'param($p, $d) Update-StateFile -Path $p -AsHashtable -ScriptBlock { $_.Updated = 1 }' }
        @{ Name = 'Use-StateLock -Path'; Kind = 'StateFile'; Literal = $true; Command = 'param($p, $d) Use-StateLock -Path $p -ScriptBlock { } ' }
        @{ Name = 'Import-BatchState -Path'; Kind = 'Export'; Reads = $true; Command = 'param($p, $d) Import-BatchState -Path $p -StateDirectory $d' }
        @{ Name = 'Import-BatchState -LiteralPath'; Kind = 'Export'; Reads = $true; Literal = $true; Command = 'param($p, $d) Import-BatchState -LiteralPath $p -StateDirectory $d' }
        @{ Name = 'Invoke-StateMigration -Path'; Kind = 'Batch'; Reads = $true; Command = 'param($p, $d) Invoke-StateMigration -Path $p -StateDirectory $d -Force' }
        # A literal batch file names a batch: a missing one is BatchNotFound, as for any batch id.
        @{ Name = 'Invoke-StateMigration -LiteralPath'; Kind = 'Batch'; Reads = $true; Literal = $true; Missing = 'BatchNotFound'; Command = 'param($p, $d) Invoke-StateMigration -LiteralPath $p -StateDirectory $d -Force' }
        @{ Name = 'Invoke-StateMigration -Path -Step'; Kind = 'StateFile'; Reads = $true; Command = "param(`$p, `$d) Invoke-StateMigration -Path `$p -Step $step -Force" }
        @{ Name = 'Invoke-StateMigration -LiteralPath -Step'; Kind = 'StateFile'; Reads = $true; Literal = $true; Command = "param(`$p, `$d) Invoke-StateMigration -LiteralPath `$p -Step $step -Force" }
    )
}

Describe 'Paths: <Name>' -ForEach $commands {
    BeforeAll {
        $run = [scriptblock]::Create($Command)
        # What this command takes, written to a file: a state file, an exported batch, or a batch snapshot.
        function New-Input([string] $Folder, [string] $FileName) {
            $path = Join-Path $Folder $FileName
            switch ($Kind) {
                'StateFile' { [IO.File]::WriteAllText($path, '{"a": 1}') }
                'Export' {
                    $source = New-TestStateDirectory
                    New-BatchState -Name exported -Feature x -BatchId ("exp-" + [guid]::NewGuid().ToString('N').Substring(0, 8)) -StateDirectory $source |
                        ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $path
                }
                'Batch' {
                    # An old (1.0.0) batch snapshot whose id is the file's name.
                    $id = [IO.Path]::GetFileNameWithoutExtension($FileName)
                    New-UnversionedBatch $Folder $id
                    if ((Join-Path $Folder "$id.json") -ne $path) { Move-Item -LiteralPath (Join-Path $Folder "$id.json") -Destination $path }
                }
            }
            $path
        }
    }
    BeforeEach {
        $d = New-TestStateDirectory
        $work = Split-Path -Parent $d
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'a path on a drive that does not exist (Q:\nope.json) is a non-terminating StateFileNotFound' {
        Get-PathErrorId $run 'Q:\nope.json' $d | Should -Be 'StateFileNotFound'
    }

    It 'a path on another provider (Env:\HOME) is StateFileNotFileSystem, and no file named HOME is taken instead' {
        # A file named HOME in the current folder, which a path read without its provider would reach.
        $null = New-Input $work 'HOME'
        $before = Get-DirectorySnapshot $work
        Push-Location -LiteralPath $work
        try { $ids = Get-PathErrorId $run 'Env:\HOME' $d }
        finally { Pop-Location }
        $ids | Should -Be 'StateFileNotFileSystem'
        Get-DirectorySnapshot $work | Should -Be $before
    }

    It 'a missing file is StateFileNotFound for a command that reads, and is created or locked by one that writes' {
        $absent = Join-Path $work 'missing.json'
        $ids = Get-PathErrorId $run $absent $d
        if (-not $Reads) { $ids | Should -BeNullOrEmpty }
        elseif ($Missing) { $ids | Should -Be $Missing }
        else { $ids | Should -Be 'StateFileNotFound' }
    }

    It 'wildcards match files for -Path, and are literal characters for -LiteralPath' {
        $odd = Join-Path $work 'in[1]'
        $null = New-Item -ItemType Directory -Path $odd
        $file = New-Input $odd 'b1.json'
        $pattern = if ($Literal) { $file } else { Join-Path ($odd -replace '\[', '`[' -replace '\]', '`]') '*.json' }
        Get-PathErrorId $run $pattern $d | Should -BeNullOrEmpty
        if ($Kind -eq 'Export') { @(Get-BatchState -StateDirectory $d).Count | Should -Be 1 }
        if (-not $Reads) { @(Get-ChildItem -LiteralPath $odd -Filter '*.json').Name | Should -Be 'b1.json' }
    }
}
