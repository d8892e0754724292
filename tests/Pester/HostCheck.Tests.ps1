BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

# tests/Invoke-HostCheck.ps1 is what the CI workflow runs in powershell.exe (5.1) on Windows and in
# the image's own pwsh; here it runs in this PowerShell, so it is known to work before it gets there.
Describe 'tests/Invoke-HostCheck.ps1' {
    It 'imports the module by name and runs every exported cmdlet' {
        $moduleBase = Split-Path -Parent $ModuleManifestPath
        $check = Join-Path $PSScriptRoot '../Invoke-HostCheck.ps1'
        # By name: the module's own folder is the one entry that can hold a StateCmdlets here.
        $modules = Split-Path -Parent (Split-Path -Parent $moduleBase)
        $runner = Join-Path (Split-Path -Parent (New-TestStateDirectory -NoCreate)) 'run-check.ps1'
        Set-Content -LiteralPath $runner -Encoding utf8 -Value @'
param([string] $Modules, [string] $Check, [string] $ModuleBase)
$env:PSModulePath = $Modules + [IO.Path]::PathSeparator + $env:PSModulePath
& $Check -ExpectedModuleBase $ModuleBase
exit $LASTEXITCODE
'@
        $r = Invoke-TestPwsh -ScriptPath $runner -ArgumentList @('-Modules', $modules, '-Check', $check, '-ModuleBase', $moduleBase) -What 'the host check'
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut)`n$($r.StdErr)"
        $count = @((Import-PowerShellDataFile -LiteralPath $ModuleManifestPath).CmdletsToExport).Count
        $r.StdOut | Should -Match "$count cmdlets ran"

    }
}
