BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $exampleRunner = (Resolve-Path (Join-Path $PSScriptRoot '../Invoke-ReadmeExample.ps1')).ProviderPath
}

AfterAll {
    Remove-TestStateDirectory
}

Describe 'The README example (tests/Invoke-ReadmeExample.ps1)' {
    BeforeAll {
        $d = New-TestStateDirectory
        $runArgs = @('-ModuleManifest', $env:STATECMDLETS_TEST_MODULE, '-StateDirectory', $d)
        $dlls = @(Get-ChildItem -LiteralPath $PSHOME -Filter *.dll -File)
        $first = Invoke-TestPwsh -ScriptPath $exampleRunner -ArgumentList $runArgs -TimeoutSeconds 120 -What 'README example (first run)'
        $afterFirst = Get-BatchState -BatchId hash-pshome -StateDirectory $d -ErrorAction Stop
    }

    It 'runs to the end with exit code 0' {
        $first.ExitCode | Should -Be 0 -Because "stderr: $($first.StdErr)"
        $first.StdErr | Should -BeNullOrEmpty
    }

    It 'prints the finished batch' {
        $first.StdOut | Should -Match 'hash-pshome'
    }

    It 'keeps its state in the -StateDirectory given, nowhere else' {
        Test-Path -LiteralPath (Join-Path $d 'hash-pshome.json') | Should -BeTrue
        $afterFirst.StateDirectory | Should -Be $d
    }

    It 'completes the batch, one feature per *.dll in $PSHOME' {
        $dlls.Count | Should -BeGreaterThan 0
        $afterFirst.Status | Should -Be 'Completed'
        $afterFirst.Total | Should -Be $dlls.Count
        $afterFirst.Completed | Should -Be $dlls.Count
        $afterFirst.Failed | Should -Be 0
        $afterFirst.Pending | Should -Be 0
        @($afterFirst.Features.Feature | Sort-Object) -join '|' | Should -BeExactly (@($dlls.Name | Sort-Object) -join '|')
    }

    It 'stores the SHA256 of every file as the feature Data' {
        foreach ($feature in $afterFirst.Features) {
            $expected = (Get-FileHash -LiteralPath (Join-Path $PSHOME $feature.Feature) -Algorithm SHA256).Hash
            $feature.Data.Sha256 | Should -BeExactly $expected -Because $feature.Feature
            $feature.Attempts | Should -Be 1 -Because $feature.Feature
        }
    }

    Context 'run a second time' {
        BeforeAll {
            $second = Invoke-TestPwsh -ScriptPath $exampleRunner -ArgumentList $runArgs -TimeoutSeconds 120 -What 'README example (second run)'
            $afterSecond = Get-BatchState -BatchId hash-pshome -StateDirectory $d -ErrorAction Stop
        }

        It 'exits 0 again' {
            $second.ExitCode | Should -Be 0 -Because "stderr: $($second.StdErr)"
        }

        It 'redoes nothing: no feature changes its UpdatedAt or Attempts' {
            $before = @{}
            foreach ($f in $afterFirst.Features) { $before[$f.Feature] = $f }
            $afterSecond.Features.Count | Should -Be $afterFirst.Features.Count
            foreach ($f in $afterSecond.Features) {
                $f.UpdatedAt | Should -Be $before[$f.Feature].UpdatedAt -Because $f.Feature
                $f.Attempts | Should -Be 1 -Because $f.Feature
            }
            $afterSecond.UpdatedAt | Should -Be $afterFirst.UpdatedAt
            $afterSecond.CreatedAt | Should -Be $afterFirst.CreatedAt
        }
    }
}
