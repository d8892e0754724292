BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $exampleRunner = (Resolve-Path (Join-Path $PSScriptRoot '../Invoke-ReadmeExample.ps1')).ProviderPath
    $dlls = @(Get-ChildItem -LiteralPath $PSHOME -Filter *.dll -File)

    function Invoke-ReadmeExample {
        param([Parameter(Mandatory)] [string] $Directory, [string] $Example = 'readme-example', [string] $What = 'README example')
        Invoke-TestPwsh -ScriptPath $exampleRunner -ArgumentList @('-ModuleManifest', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $Directory, '-Example', $Example) -TimeoutSeconds 120 -What $What
    }

    function Assert-HashedEveryDll {
        <# The batch has one Completed feature per *.dll in $PSHOME, each with its SHA256 as Data, each done once. #>
        param([Parameter(Mandatory)] $Batch)
        $dlls.Count | Should -BeGreaterThan 0
        $Batch.Status | Should -Be 'Completed'
        $Batch.Total | Should -Be $dlls.Count
        $Batch.Completed | Should -Be $dlls.Count
        @($Batch.Features.Feature | Sort-Object) -join '|' | Should -BeExactly (@($dlls.Name | Sort-Object) -join '|')
        foreach ($feature in $Batch.Features) {
            $expected = (Get-FileHash -LiteralPath (Join-Path $PSHOME $feature.Feature) -Algorithm SHA256).Hash
            $feature.Data.Sha256 | Should -BeExactly $expected -Because $feature.Feature
            $feature.Attempts | Should -Be 1 -Because $feature.Feature
        }
    }

    function Assert-NothingRedone {
        param([Parameter(Mandatory)] $Before, [Parameter(Mandatory)] $After)
        $was = @{}
        foreach ($f in $Before.Features) { $was[$f.Feature] = $f }
        $After.Features.Count | Should -Be $Before.Features.Count
        foreach ($f in $After.Features) {
            $f.UpdatedAt | Should -Be $was[$f.Feature].UpdatedAt -Because $f.Feature
            $f.Attempts | Should -Be 1 -Because $f.Feature
        }
        $After.UpdatedAt | Should -Be $Before.UpdatedAt
        $After.CreatedAt | Should -Be $Before.CreatedAt
    }
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'The README example: the one-liner (tests/Invoke-ReadmeExample.ps1)' {
    BeforeAll {
        $d = New-TestStateDirectory
        $first = Invoke-ReadmeExample $d -What 'README one-liner (first run)'
        $afterFirst = Get-BatchState -BatchId hash-pshome -StateDirectory $d -ErrorAction Stop
    }

    It 'runs to the end with exit code 0' {
        $first.ExitCode | Should -Be 0 -Because "stderr: $($first.StdErr)"
        $first.StdErr | Should -BeNullOrEmpty
    }

    It 'emits each file''s hash as it is done' {
        @([regex]::Matches($first.StdOut, '\b[0-9A-F]{64}\b')).Count | Should -Be $dlls.Count
    }

    It 'keeps its state in the -StateDirectory given, nowhere else, in the batch its name finds' {
        @(Get-ChildItem -LiteralPath $d -Filter *.json).Name | Should -Be 'hash-pshome.json'
        $afterFirst.Name | Should -BeExactly 'hash-pshome'
        $afterFirst.StateDirectory | Should -Be $d
    }

    It 'completes the batch, one feature per *.dll in $PSHOME, the SHA256 of each as its Data' {
        Assert-HashedEveryDll $afterFirst
    }

    Context 'run a second time, then the long form on the same batch' {
        BeforeAll {
            $second = Invoke-ReadmeExample $d -What 'README one-liner (second run)'
            $afterSecond = Get-BatchState -BatchId hash-pshome -StateDirectory $d -ErrorAction Stop
            $long = Invoke-ReadmeExample $d -Example readme-under-the-hood -What 'README long form after the one-liner'
            $afterLong = Get-BatchState -BatchId hash-pshome -StateDirectory $d -ErrorAction Stop
        }

        It 'exits 0 again, and emits nothing: nothing was left' {
            $second.ExitCode | Should -Be 0 -Because "stderr: $($second.StdErr)"
            $second.StdOut.Trim() | Should -BeNullOrEmpty
        }

        It 'redoes nothing: no feature changes its UpdatedAt or Attempts' {
            Assert-NothingRedone $afterFirst $afterSecond
        }

        It 'the long form resumes the same batch and finds nothing left either' {
            $long.ExitCode | Should -Be 0 -Because "stderr: $($long.StdErr)"
            $long.StdOut | Should -Match 'hash-pshome'
            Assert-NothingRedone $afterFirst $afterLong
        }
    }
}

Describe 'The README example under the hood: the long form' {
    BeforeAll {
        $d = New-TestStateDirectory
        $first = Invoke-ReadmeExample $d -Example readme-under-the-hood -What 'README long form (first run)'
        $afterFirst = Get-BatchState -BatchId hash-pshome -StateDirectory $d -ErrorAction Stop
    }

    It 'runs to the end with exit code 0 and prints the finished batch' {
        $first.ExitCode | Should -Be 0 -Because "stderr: $($first.StdErr)"
        $first.StdErr | Should -BeNullOrEmpty
        $first.StdOut | Should -Match 'hash-pshome'
    }

    It 'keeps its state in the -StateDirectory given, nowhere else' {
        Test-Path -LiteralPath (Join-Path $d 'hash-pshome.json') | Should -BeTrue
        $afterFirst.StateDirectory | Should -Be $d
    }

    It 'completes the batch, one feature per *.dll in $PSHOME, the SHA256 of each as its Data' {
        Assert-HashedEveryDll $afterFirst
    }
}
