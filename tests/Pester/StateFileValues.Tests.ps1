BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    function Set-RawJson([string] $Path, [string] $Text) {
        # As another tool writes it: UTF-8 without a BOM, the text exactly as given.
        [IO.File]::WriteAllText($Path, $Text, [Text.UTF8Encoding]::new($false))
    }

    function New-StateFileWithLock([string] $Path, [string] $Text) {
        # Saved once, so the lock file exists and Test-StateFile has nothing else to say; then replaced.
        Save-StateFile -Path $Path -InputObject @{ placeholder = 1 } -ErrorAction Stop
        Set-RawJson $Path $Text
    }
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'Numbers' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'tiny.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It 'round-trip byte for byte through Update-StateFile: tiny and precise doubles, 0.1, integers past Int64, decimals, bigints, whole doubles' {
        $doc = [ordered]@{
            Eps   = 1e-30
            Rate  = 1.2345678901234567e-20
            Tenth = 0.1
            Big   = 12345678901234567890
            ULong = [uint64]::MaxValue
            Money = 1.10d
            Huge  = [bigint]::Parse('123456789012345678901234567890')
            Whole = 2.0
            N     = 0
        }
        Save-StateFile -Path $f -InputObject $doc -ErrorAction Stop
        $before = Get-Content -LiteralPath $f -Raw
        $before | Should -Match '"Eps": 1E-30,'
        $before | Should -Match '"Rate": 1\.2345678901234567E-20,'
        $before | Should -Match '"Tenth": 0\.1,'
        $before | Should -Match '"Big": 12345678901234567890,'
        $before | Should -Match '"ULong": 18446744073709551615,'
        $before | Should -Match '"Money": 1\.10,'
        $before | Should -Match '"Huge": 123456789012345678901234567890,'
        $before | Should -Match '"Whole": 2\.0,'

        Update-StateFile -Path $f -ScriptBlock { $_.N++ } -ErrorAction Stop
        Update-StateFile -Path $f -AsHashtable -ScriptBlock { $_.N++ } -ErrorAction Stop

        Get-Content -LiteralPath $f -Raw | Should -BeExactly ($before -replace '"N": 0', '"N": 2')
    }

    It 'read as ConvertFrom-Json does: Int32, Int64, BigInteger past Int64, Double for any fraction or exponent' {
        Set-RawJson $f '{"i": 7, "l": 9007199254740993, "b": 12345678901234567890, "e": 1e-30, "r": 1.2345678901234567e-20, "f": 0.1, "w": 2.0}'
        $r = Read-StateFile -Path $f -ErrorAction Stop
        $r.i | Should -BeOfType [int]
        $r.l | Should -BeOfType [long]
        $r.l | Should -Be 9007199254740993
        $r.b | Should -BeOfType [System.Numerics.BigInteger]
        $r.b | Should -Be ([bigint]::Parse('12345678901234567890'))
        foreach ($name in 'e', 'r', 'f', 'w') { $r.$name | Should -BeOfType [double] }
        $r.e | Should -Be 1e-30
        $r.r | Should -Be 1.2345678901234567e-20
        $r.w | Should -Be 2
    }

    It 'keep the spelling another tool gave a number the script did not change, and write a changed one in its shortest exact form' {
        Set-RawJson $f '{"a": 1e-30, "b": 1.10, "c": -0, "d": 1E+2, "t": 0.1, "n": 0}'
        Update-StateFile -Path $f -ScriptBlock { $_.n++; $_.t = $_.t * 3; $_ | Add-Member w 3.0 } -ErrorAction Stop
        $text = Get-Content -LiteralPath $f -Raw
        $text | Should -Match '"a": 1e-30,'
        $text | Should -Match '"b": 1\.10,'
        $text | Should -Match '"c": -0,'
        $text | Should -Match '"d": 1E\+2,'
        $text | Should -Match '"t": 0\.30000000000000004,'
        $text | Should -Match '"w": 3\.0'
        (Read-StateFile -Path $f).t | Should -Be (0.1 * 3)
    }

    It 'keep a number a Double cannot hold (1e400, 1e-400) as its exact text instead of Infinity or 0' {
        Set-RawJson $f '{"big": 1e400, "tiny": -1e-400, "n": 0}'
        $r = Read-StateFile -Path $f -ErrorAction Stop
        $r.big | Should -BeOfType [StateCmdlets.JsonNumber]
        $r.big.Text | Should -BeExactly '1e400'
        "$($r.tiny)" | Should -BeExactly '-1e-400'

        Update-StateFile -Path $f -ScriptBlock { $_.n++ } -ErrorAction Stop
        $text = Get-Content -LiteralPath $f -Raw
        $text | Should -Match '"big": 1e400,'
        $text | Should -Match '"tiny": -1e-400,'
        $text | Should -Not -Match 'Infinity'

        $copy = Join-Path $d 'copy.json'
        Save-StateFile -Path $copy -InputObject @{ kept = $r.big } -ErrorAction Stop
        Get-Content -LiteralPath $copy -Raw | Should -Match '"kept": 1e400'
    }
}

Describe '.NET objects' {
    BeforeAll {
        # In a child process, so a regression (an endless object graph) is killed instead of hanging the suite.
        $d = New-TestStateDirectory
        Set-Content -LiteralPath (Join-Path $d 'x.json') -Value 'x'
        $script = Join-Path (Split-Path -Parent $d) 'save-objects.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $Folder)
$ErrorActionPreference = 'Stop'
Import-Module $Module
Set-Location -LiteralPath $Folder
$clock = [Diagnostics.Stopwatch]::StartNew()
Get-Item ./x.json | Save-StateFile fi.json -WarningVariable fileWarning -WarningAction SilentlyContinue
Get-Location | Save-StateFile p.json -WarningVariable locationWarning -WarningAction SilentlyContinue
[pscustomobject]@{ Seconds = $clock.Elapsed.TotalSeconds; FileWarning = "$fileWarning"; LocationWarning = "$locationWarning" } | ConvertTo-Json -Compress
'@
        $run = Invoke-TestPwsh -ScriptPath $script -ArgumentList $ModuleManifestPath, $d -TimeoutSeconds 60 -What 'Get-Item | Save-StateFile'
        $report = if ($run.ExitCode -eq 0) { $run.StdOut | ConvertFrom-Json } else { $null }
    }
    AfterAll { Remove-TestStateDirectory $d }

    It 'Get-Item | Save-StateFile and Get-Location | Save-StateFile finish at once' {
        $run.StdErr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $report.Seconds | Should -BeLessThan 20
    }

    It 'writes a FileInfo with its properties, the objects inside it two deep, deeper ones as their text, and warns' {
        $fi = Read-StateFile -Path (Join-Path $d 'fi.json') -ErrorAction Stop
        $fi.Name | Should -BeExactly 'x.json'
        $fi.FullName | Should -BeExactly (Join-Path $d 'x.json')
        $fi.Directory.FullName | Should -BeExactly $d
        $fi.Directory.Parent | Should -BeOfType [string]
        $fi.Directory.Parent | Should -BeExactly (Split-Path -Parent $d)
        $report.FileWarning | Should -Match 'written as its text'
    }

    It 'writes Get-Location''s PathInfo the same way' {
        $p = Read-StateFile -Path (Join-Path $d 'p.json') -ErrorAction Stop
        $p.Path | Should -BeExactly $d
        $p.Provider.Name | Should -BeExactly 'FileSystem'
        $p.Drive.Provider | Should -BeOfType [string]
        $report.LocationWarning | Should -Match 'written as its text'
    }
}

Describe 'Documents that cannot be written faithfully' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It 'a hashtable that contains itself is InvalidStateDocument naming the path, and nothing is written' {
        $h = @{ a = 1 }
        $h.inner = @{ back = $h }
        Save-StateFile -Path $f -InputObject $h -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidStateDocument,StateCmdlets.Commands.SaveStateFileCommand'
        $problems[0].TargetObject | Should -BeExactly $f
        $problems[0].Exception.Message | Should -BeLike '*$.inner.back contains itself*'
        Test-Path -LiteralPath $f | Should -BeFalse
    }

    It 'more than a million values is InvalidStateDocument at once, not an endless write' {
        $list = @(1)
        foreach ($i in 1..20) { $list = @($list, $list) }   # 2^20 leaves through shared lists
        Save-StateFile -Path $f -InputObject $list -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidStateDocument,*'
        $problems[0].Exception.Message | Should -BeLike '*more than 1,000,000 values*'
        Test-Path -LiteralPath $f | Should -BeFalse
    }

    It 'Set-FeatureResult -Data that contains itself is a non-terminating error recording nothing' {
        $null = New-BatchState -Name values -Feature a -BatchId V -StateDirectory $d -ErrorAction Stop
        $h = @{}
        $h.me = $h
        Set-FeatureResult -BatchId V -Feature a -Status Completed -Data $h -StateDirectory $d -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidFeatureData,*'
        (Get-BatchState -BatchId V -StateDirectory $d).Features[0].Status | Should -Be 'Pending'
    }
}

Describe 'JSON that PowerShell objects cannot hold as it is' {
    BeforeEach {
        $d = New-TestStateDirectory
        Save-StateFile -Path (Join-Path $d 'a-good.json') -InputObject @{ n = 'a' } -ErrorAction Stop
        Save-StateFile -Path (Join-Path $d 'z-good.json') -InputObject @{ n = 'z' } -ErrorAction Stop
        $empty = Join-Path $d 'empty-name.json'
        $reserved = Join-Path $d 'reserved-name.json'
        New-StateFileWithLock $empty '{"outer": {"": 1}}'
        New-StateFileWithLock $reserved '{"PSObject": 1}'
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'Read-StateFile gives a non-terminating InvalidStateDocument per such file, naming it and the JSON path, and reads the others' {
        $read = @(Get-ChildItem -LiteralPath $d -Filter *.json | Read-StateFile -ErrorVariable problems -ErrorAction SilentlyContinue)
        ($read.n -join ',') | Should -BeExactly 'a,z'
        $problems.Count | Should -Be 2
        foreach ($p in $problems) { $p.FullyQualifiedErrorId | Should -BeExactly 'InvalidStateDocument,StateCmdlets.Commands.ReadStateFileCommand' }
        $problems[0].TargetObject | Should -BeExactly $empty
        $problems[0].Exception.Message | Should -BeLike ('*' + [WildcardPattern]::Escape("'$empty': the property name at `$.outer[''] is empty") + '*-AsHashtable*')
        $problems[1].TargetObject | Should -BeExactly $reserved
        $problems[1].Exception.Message | Should -BeLike ('*' + [WildcardPattern]::Escape("'$reserved': the property name `"PSObject`" at `$.PSObject") + '*-AsHashtable*')
    }

    It '-AsHashtable reads them as they are' {
        $e = Read-StateFile -LiteralPath $empty -AsHashtable -ErrorAction Stop
        $e.outer[''] | Should -Be 1
        (Read-StateFile -LiteralPath $reserved -AsHashtable -ErrorAction Stop)['PSObject'] | Should -Be 1
    }

    It 'Update-StateFile refuses them without -AsHashtable, leaving the file as it was, and updates them with it' {
        $before = Get-FileHash -LiteralPath $reserved
        Update-StateFile -Path $reserved -ScriptBlock { $_.x = 1 } -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidStateDocument,StateCmdlets.Commands.UpdateStateFileCommand'
        (Get-FileHash -LiteralPath $reserved).Hash | Should -Be $before.Hash

        Update-StateFile -Path $reserved -AsHashtable -ScriptBlock { $_.x = 1 } -ErrorAction Stop
        $after = Read-StateFile -LiteralPath $reserved -AsHashtable
        $after['PSObject'] | Should -Be 1
        $after['x'] | Should -Be 1
    }

    It 'Update-StateFile without -AsHashtable does not write a document it could not read back' {
        $good = Join-Path $d 'a-good.json'
        $before = Get-FileHash -LiteralPath $good
        Update-StateFile -Path $good -ScriptBlock { @{ '' = 1 } } -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidStateDocument,*'
        (Get-FileHash -LiteralPath $good).Hash | Should -Be $before.Hash
    }

    It 'Test-StateFile reports each as UnsupportedContent, and -Quiet says $false' {
        $found = @(Test-StateFile -Path (Join-Path $d '*.json'))
        ($found | ForEach-Object { '{0} {1}' -f (Split-Path -Leaf $_.Path), $_.Kind }) -join ';' | Should -BeExactly 'empty-name.json UnsupportedContent;reserved-name.json UnsupportedContent'
        Test-StateFile -LiteralPath $empty -Quiet | Should -BeFalse
        Test-StateFile -LiteralPath (Join-Path $d 'a-good.json') -Quiet | Should -BeTrue
    }

    It 'a feature''s Data with such names comes back as an ordered hashtable' {
        $null = New-BatchState -Name values -Feature a -BatchId V -StateDirectory $d -ErrorAction Stop
        Set-FeatureResult -BatchId V -Feature a -Status Completed -Data @{ '' = 1; psobject = 2 } -StateDirectory $d -ErrorAction Stop
        $data = (Get-BatchState -BatchId V -StateDirectory $d -ErrorAction Stop).Features[0].Data
        $data | Should -BeOfType [System.Collections.Specialized.OrderedDictionary]
        $data[''] | Should -Be 1
        $data['psobject'] | Should -Be 2
    }
}

Describe 'Text that is not quite Unicode' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It 'a lone surrogate (as Python''s json.dumps writes) is read as it is and written back byte for byte' {
        New-StateFileWithLock $f '{"x": "a\ud800b", "list": ["\udfff"], "n": 0}'
        $r = Read-StateFile -Path $f -ErrorAction Stop
        [int]$r.x[1] | Should -Be 0xD800
        [int]$r.list[0][0] | Should -Be 0xDFFF
        [int](Read-StateFile -Path $f -AsHashtable -ErrorAction Stop)['x'][1] | Should -Be 0xD800

        Update-StateFile -Path $f -ScriptBlock { $_.n++ } -ErrorAction Stop
        $text = Get-Content -LiteralPath $f -Raw
        $text | Should -Match '"x": "a\\ud800b"'
        $text | Should -Match '"\\udfff"'
        $text | Should -Match '"n": 1'
        $text | Should -Not -Match '\uFFFD'
    }

    It 'Invoke-StateMigration -Step (and its -WhatIf) migrates a file with a lone surrogate, and the other files of a wildcard too' {
        New-StateFileWithLock $f '{"x": "a\ud800b", "n": 1}'
        $other = Join-Path $d 'other.json'
        New-StateFileWithLock $other '{"n": 1}'
        $steps = @{ '1.0.0' = { param($doc) $doc.n = 5; '1.1.0' } }
        Invoke-StateMigration -Path (Join-Path $d '*.json') -Step $steps -WhatIf -ErrorAction Stop
        $done = @(Invoke-StateMigration -Path (Join-Path $d '*.json') -Step $steps -Force -ErrorAction Stop)
        ($done | ForEach-Object { "$(Split-Path -Leaf $_.Path)=$($_.Action)" }) -join ',' | Should -BeExactly 'other.json=Migrated,state.json=Migrated'
        $text = Get-Content -LiteralPath $f -Raw
        $text | Should -Match '"x": "a\\ud800b"'
        $text | Should -Match '"n": 5'
    }

    It 'Test-StateFile reports a lone surrogate as UnsupportedContent naming where it is' {
        New-StateFileWithLock $f '{"ok": 1, "list": [1, "\ud800"]}'
        $found = @(Test-StateFile -LiteralPath $f)
        $found.Count | Should -Be 1
        $found[0].Kind | Should -Be 'UnsupportedContent'
        $found[0].Message | Should -BeLike '*$.list`[1`]*lone surrogate*'
    }

    It 'bytes that are not UTF-8 are StateFileCorrupt with their offset, not a crash, and the other files are read' {
        [IO.File]::WriteAllBytes($f, [byte[]](0x7B, 0x22, 0x78, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D))
        Save-StateFile -Path (Join-Path $d 'good.json') -InputObject @{ ok = 1 } -ErrorAction Stop
        $read = @(Read-StateFile -Path (Join-Path $d '*.json') -ErrorVariable problems -ErrorAction SilentlyContinue)
        $read.Count | Should -Be 1
        $problems.Count | Should -Be 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly 'StateFileCorrupt,StateCmdlets.Commands.ReadStateFileCommand'
        $problems[0].Exception.Offset | Should -Be 6
    }
}

Describe 'Property names that differ only in case' {
    BeforeEach { $d = New-TestStateDirectory; $f = Join-Path $d 'state.json' }
    AfterEach { Remove-TestStateDirectory $d }

    It 'Save-StateFile -SchemaVersion replaces a SchemaVersion property instead of writing both' {
        Save-StateFile -Path $f -InputObject ([ordered]@{ SchemaVersion = '1.0.0'; X = 1 }) -SchemaVersion '1.1.0' -ErrorAction Stop
        $text = Get-Content -LiteralPath $f -Raw
        $text | Should -Not -MatchExactly '"SchemaVersion"'
        $r = Read-StateFile -Path $f -ErrorAction Stop
        ($r.PSObject.Properties.Name -join ',') | Should -BeExactly 'schemaVersion,X'
        $r.schemaVersion | Should -BeExactly '1.1.0'
        (Update-StateFile -Path $f -SchemaVersion '1.1.0' -ScriptBlock { $_.X++ } -PassThru -ErrorAction Stop).X | Should -Be 2
    }

    It 'Update-StateFile -SchemaVersion replaces a SchemaVersion property of the new document' {
        Save-StateFile -Path $f -InputObject @{ X = 1 } -ErrorAction Stop
        Update-StateFile -Path $f -SchemaVersion '1.1.0' -ScriptBlock { [pscustomobject]@{ SchemaVersion = '0.9.0'; X = 2 } } -ErrorAction Stop
        $r = Read-StateFile -Path $f -ErrorAction Stop
        ($r.PSObject.Properties.Name -join ',') | Should -BeExactly 'schemaVersion,X'
        $r.schemaVersion | Should -BeExactly '1.1.0'
    }

    It 'a case-sensitive dictionary with keys a and A is refused naming both, and the file is left as it was' {
        Save-StateFile -Path $f -InputObject @{ kept = 1 } -ErrorAction Stop
        $before = (Get-FileHash -LiteralPath $f).Hash
        $twins = [System.Collections.Generic.Dictionary[string, object]]::new()
        $twins['a'] = 1
        $twins['A'] = 2

        Save-StateFile -Path $f -InputObject $twins -ErrorVariable saved -ErrorAction SilentlyContinue
        Save-StateFile -Path $f -InputObject @{ outer = $twins } -SchemaVersion '1.0.0' -ErrorVariable nested -ErrorAction SilentlyContinue
        Update-StateFile -Path $f -ScriptBlock { $twins } -ErrorVariable updated -ErrorAction SilentlyContinue

        foreach ($e in @($saved) + @($nested) + @($updated)) {
            $e.FullyQualifiedErrorId | Should -BeLike 'InvalidStateDocument,*'
            $e.TargetObject | Should -BeExactly $f
            $e.Exception.Message | Should -BeLike '*"a" and "A"*differ only in case*'
        }
        @($saved).Count + @($nested).Count + @($updated).Count | Should -Be 3
        $nested[0].Exception.Message | Should -BeLike '*object at $.outer*'
        (Get-FileHash -LiteralPath $f).Hash | Should -Be $before
        (Read-StateFile -Path $f -ErrorAction Stop).kept | Should -Be 1
    }
}
