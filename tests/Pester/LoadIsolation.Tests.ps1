BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')

    $moduleFolder = Split-Path -Parent $ModuleManifestPath
    $cmdletsDll = Join-Path $moduleFolder 'bin/net8.0/StateCmdlets.dll'
    $work = Split-Path -Parent (New-TestStateDirectory -NoCreate)

    # Another module's StateCmdlets.Core: the same name, another version, none of our types. A
    # child pwsh compiles it, so this process never loads it.
    function New-ImpostorCore {
        param([Parameter(Mandatory)] [string] $Version)
        $folder = New-Item -ItemType Directory -Path (Join-Path $work "impostor-$Version") -Force
        $path = Join-Path $folder 'StateCmdlets.Core.dll'
        $script = Join-Path $folder 'compile.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @"
`$ErrorActionPreference = 'Stop'
# Add-Type brings the C# compiler into the process; its own API names the assembly (Add-Type does not).
Add-Type -TypeDefinition 'public static class CompilerWarmUp { }'
`$source = @'
[assembly: System.Reflection.AssemblyVersion("$Version")]
namespace StateCmdlets.Core { public static class Impostor { public const string Marker = "another module's copy"; } }
'@
`$tree = [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree]::ParseText(`$source)
`$references = [Microsoft.CodeAnalysis.MetadataReference[]]@([Microsoft.CodeAnalysis.MetadataReference]::CreateFromFile([object].Assembly.Location))
`$options = [Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions]::new([Microsoft.CodeAnalysis.OutputKind]::DynamicallyLinkedLibrary)
`$compilation = [Microsoft.CodeAnalysis.CSharp.CSharpCompilation]::Create('StateCmdlets.Core', [Microsoft.CodeAnalysis.SyntaxTree[]]@(`$tree), `$references, `$options)
`$stream = [System.IO.File]::Create('$path')
try { `$result = `$compilation.Emit(`$stream) } finally { `$stream.Dispose() }
if (-not `$result.Success) { throw (`$result.Diagnostics -join "``n") }
"@
        $r = Invoke-TestPwsh -ScriptPath $script -What 'compiling the impostor StateCmdlets.Core'
        if ($r.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $path)) { throw "Could not compile the impostor: $($r.StdErr)$($r.StdOut)" }
        $path
    }

    # The child: loads the impostor into the default context first, then imports the module (by
    # manifest, or -Direct: its cmdlet dll straight into the default context, as the module was
    # loaded before it had a load context of its own), runs every exported cmdlet once, and prints
    # one JSON line: what ran, and which StateCmdlets.Core each side sees.
    $tourScript = Join-Path $work 'tour.ps1'
    Set-Content -LiteralPath $tourScript -Encoding utf8 -Value @'
param([string] $Impostor, [string] $Import, [string] $Folder)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$null = [System.Reflection.Assembly]::LoadFrom($Impostor)
$ran = [System.Collections.Generic.List[string]]::new()
$failure = $null
try {
    Import-Module $Import
    $d = New-Item -ItemType Directory -Path (Join-Path $Folder 'state') -Force
    $s = Join-Path $Folder 'values.json'
    $null = New-BatchState -Name tour -BatchId tour -Feature a, b, c -StateDirectory $d; $ran.Add('New-BatchState')
    if ((Get-BatchState -BatchId tour -StateDirectory $d).Total -ne 3) { throw 'Get-BatchState' }; $ran.Add('Get-BatchState')
    $first = Resume-BatchState -BatchId tour -StateDirectory $d | Select-Object -First 1; $ran.Add('Resume-BatchState')
    $first | Set-FeatureResult -Status Completed; $ran.Add('Set-FeatureResult')
    $null = Reset-BatchContext -BatchId tour -StateDirectory $d -PassThru; $ran.Add('Reset-BatchContext')
    $null = Checkpoint-BatchState -BatchId tour -StateDirectory $d -PassThru; $ran.Add('Checkpoint-BatchState')
    if (-not (Test-BatchState -BatchId tour -StateDirectory $d -Quiet)) { throw 'Test-BatchState' }; $ran.Add('Test-BatchState')
    $null = Repair-BatchState -BatchId tour -StateDirectory $d -Confirm:$false; $ran.Add('Repair-BatchState')
    $export = Join-Path $Folder 'export.json'
    Get-BatchState -BatchId tour -StateDirectory $d | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $export -Encoding utf8
    if ((Import-BatchState -LiteralPath $export -BatchId copy -StateDirectory $d).Completed -ne 1) { throw 'Import-BatchState' }; $ran.Add('Import-BatchState')
    Remove-BatchState -BatchId copy -StateDirectory $d -Confirm:$false; $ran.Add('Remove-BatchState')
    if ((Copy-BatchState -BatchId tour -StateDirectory $d -Destination (Join-Path $Folder 'copied') -PassThru).Completed -ne 1) { throw 'Copy-BatchState' }; $ran.Add('Copy-BatchState')
    $null = Invoke-StateMigration -StateDirectory $d -Force; $ran.Add('Invoke-StateMigration')
    $suffix = '!'
    if (((@('x', 'y') | Invoke-Batch -Name tour-invoke -StateDirectory $d -ThrottleLimit 2 { "$_$using:suffix" } | Sort-Object) -join ',') -ne 'x!,y!') { throw 'Invoke-Batch' }; $ran.Add('Invoke-Batch')
    Save-StateFile -Path $s -InputObject @{ n = 1 }; $ran.Add('Save-StateFile')
    Update-StateFile -Path $s -ScriptBlock { $_.n++ }; $ran.Add('Update-StateFile')
    if ((Read-StateFile -Path $s).n -ne 2) { throw 'Read-StateFile' }; $ran.Add('Read-StateFile')
    if (-not (Test-StateFile -Path $s -Quiet)) { throw 'Test-StateFile' }; $ran.Add('Test-StateFile')
    if ((Use-StateLock -Path $s -ScriptBlock { 'inside' }) -ne 'inside') { throw 'Use-StateLock' }; $ran.Add('Use-StateLock')
}
catch { $failure = "$($_.Exception.GetType().FullName): $($_.Exception.Message)" }

$default = [System.Runtime.Loader.AssemblyLoadContext]::Default
$cmdlets = (Get-Command New-BatchState -ErrorAction Ignore).ImplementingType.Assembly
$context = if ($cmdlets) { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($cmdlets) }
$moduleCore = if ($context) { $context.Assemblies | Where-Object { $_.GetName().Name -eq 'StateCmdlets.Core' } }
[ordered]@{
    Failure            = $failure
    Ran                = @($ran)
    DefaultCore        = @($default.Assemblies | Where-Object { $_.GetName().Name -eq 'StateCmdlets.Core' } | ForEach-Object { "$($_.GetName().Version) $($_.Location)" })
    ImpostorType       = ('StateCmdlets.Core.Impostor' -as [type])?.Assembly.Location
    CmdletsContext     = if ($context) { $context.Name } else { $null }
    CmdletsInDefault   = [bool]($context -and [object]::ReferenceEquals($context, $default))
    ModuleCore         = @($moduleCore | ForEach-Object { "$($_.GetName().Version) $($_.Location)" })
} | ConvertTo-Json -Compress
'@

    function Invoke-Tour {
        param([string] $Impostor, [string] $Import, [string] $Name)
        $folder = New-Item -ItemType Directory -Path (Join-Path $work $Name) -Force
        $r = Invoke-TestPwsh -ScriptPath $tourScript -ArgumentList @('-Impostor', $Impostor, '-Import', $Import, '-Folder', $folder.FullName) -What "tour ($Name)"
        $line = $r.StdOut -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1
        if ($r.ExitCode -ne 0 -or -not $line) { throw "The tour ($Name) failed to report: exit $($r.ExitCode)`n$($r.StdErr)$($r.StdOut)" }
        $line | ConvertFrom-Json
    }

    $exported = @((Import-PowerShellDataFile -LiteralPath $ModuleManifestPath).CmdletsToExport | Sort-Object)
    $ours = [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $moduleFolder 'bin/net8.0/StateCmdlets.Core.dll')).Version
}

AfterAll {
    if ($work) { Remove-TestStateDirectory -Path (Join-Path $work 'state') }
}

Describe 'PowerShell 7: another StateCmdlets.Core <Version> in the default load context first' -Skip:($PSVersionTable.PSEdition -ne 'Core') -ForEach @(
    @{ Version = '9.9.9.9'; Why = 'newer' }
    @{ Version = '0.0.0.1'; Why = 'older' }
) {
    BeforeAll {
        $impostor = New-ImpostorCore -Version $Version
        $tour = Invoke-Tour -Impostor $impostor -Import $ModuleManifestPath -Name "module-$Version"
    }

    It 'every exported cmdlet still works' {
        $tour.Failure | Should -BeNullOrEmpty
        (@($tour.Ran | Sort-Object) -join ',') | Should -BeExactly ($exported -join ',')
    }

    It 'the cmdlets use our StateCmdlets.Core, from bin/net8.0, in the module''s own load context' {
        $tour.CmdletsInDefault | Should -BeFalse
        $tour.CmdletsContext | Should -BeLike 'StateCmdlets *'
        $tour.ModuleCore | Should -Be @("$ours $(Join-Path $moduleFolder 'bin/net8.0/StateCmdlets.Core.dll')")
    }

    It 'the default context still sees the other copy, and only it' {
        $tour.DefaultCore | Should -Be @("$Version $impostor")
        $tour.ImpostorType | Should -Be $impostor
    }

    It 'without the load context (the cmdlet dll imported straight into the default context), the same set-up breaks the cmdlets' {
        # What the module did before it had a load context of its own: the check above can fail.
        $direct = Invoke-Tour -Impostor $impostor -Import $cmdletsDll -Name "direct-$Version"
        $direct.Failure | Should -Not -BeNullOrEmpty
        $direct.Ran.Count | Should -BeLessThan $exported.Count
    }
}

Describe 'A fresh process whose first lock is contended' {
    # The first time the cmdlets read a P/Invoke's error, the runtime may load an assembly for
    # them; a load context that touched files while answering that load overwrote the error, and
    # the first contended lock of a process was reported as "errno 2 (no such file or directory)".
    BeforeAll {
        $folder = New-Item -ItemType Directory -Path (Join-Path $work 'contended') -Force
        $file = Join-Path $folder 'values.json'
        $holder = Join-Path $folder 'holder.ps1'
        Set-Content -LiteralPath $holder -Encoding utf8 -Value @'
param([string] $Module, [string] $File, [string] $Ready)
Import-Module $Module
Use-StateLock -Path $File -ScriptBlock { Set-Content -LiteralPath $Ready -Value ready; Start-Sleep -Seconds 30 }.GetNewClosure()
'@
        $contender = Join-Path $folder 'contender.ps1'
        Set-Content -LiteralPath $contender -Encoding utf8 -Value @'
param([string] $Module, [string] $File)
Import-Module $Module
try { Save-StateFile -Path $File -InputObject @{ n = 1 } -LockTimeout 0 -ErrorAction Stop; 'saved' }
catch { $_.FullyQualifiedErrorId }
'@
    }

    It 'reports StateLockTimeout, not an I/O error' {
        $ready = Join-Path $folder 'ready'
        $p = Start-TestPwsh -ScriptPath $holder -ArgumentList @('-Module', $ModuleManifestPath, '-File', $file, '-Ready', $ready)
        try {
            Wait-Until -Condition { Test-Path -LiteralPath $ready } -TimeoutSeconds 60 -What 'the holder to take the lock'
            $r = Invoke-TestPwsh -ScriptPath $contender -ArgumentList @('-Module', $ModuleManifestPath, '-File', $file) -What 'contender'
            $r.ExitCode | Should -Be 0 -Because $r.StdErr
            ($r.StdOut.Trim() -split "`n")[-1] | Should -BeLike 'StateLockTimeout,*'
        }
        finally {
            try { $p.Kill($true) } catch { }
            $null = $p.WaitForExit(10000)
        }
    }
}
