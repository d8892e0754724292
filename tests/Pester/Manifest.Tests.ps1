BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
}

Describe 'The staged module manifest' {
    BeforeAll {
        $manifest = Test-ModuleManifest -Path $ModuleManifestPath -ErrorAction Stop
        $data = Import-PowerShellDataFile -LiteralPath $ModuleManifestPath
    }

    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $ModuleManifestPath -ErrorAction Stop } | Should -Not -Throw
        $manifest.Name | Should -Be 'StateCmdlets'
    }

    It 'lists CmdletsToExport explicitly, without wildcards' {
        $data.CmdletsToExport | Should -Not -BeNullOrEmpty
        foreach ($name in $data.CmdletsToExport) {
            [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($name) | Should -BeFalse -Because "'$name' must be an explicit name"
        }
    }

    It 'exports exactly the cmdlets the loaded module has' {
        $exported = @(Get-Command -Module StateCmdlets | ForEach-Object Name | Sort-Object)
        $declared = @($data.CmdletsToExport | Sort-Object)
        $exported.Count | Should -BeGreaterThan 0
        ($exported -join ',') | Should -BeExactly ($declared -join ',')
        # Nothing but cmdlets: no functions, aliases or variables leak out.
        @(Get-Command -Module StateCmdlets -CommandType Function, Alias).Count | Should -Be 0
        @($data.FunctionsToExport).Count | Should -Be 0
        @($data.AliasesToExport).Count | Should -Be 0
        @($data.VariablesToExport).Count | Should -Be 0
    }

    It 'exports exactly the documented cmdlets (one help file each)' {
        $expected = Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot '../../module/help/en-US') -Filter '*-*.md' | ForEach-Object BaseName | Sort-Object
        (@($data.CmdletsToExport | Sort-Object) -join ',') | Should -BeExactly ($expected -join ',')
    }

    It 'is compatible with Desktop and Core' {
        @($manifest.CompatiblePSEditions | Sort-Object) | Should -Be @('Core', 'Desktop')
    }

    It 'requires PowerShell 5.1' {
        $manifest.PowerShellVersion | Should -Be ([version]'5.1')
    }

    It 'names .NET Framework 4.7.2, what the Windows PowerShell build needs' {
        $data.DotNetFrameworkVersion | Should -Be '4.7.2'
    }

    It 'loads through its root module, StateCmdlets.psm1, which picks the build for this host' {
        $data.RootModule | Should -Be 'StateCmdlets.psm1'
        $framework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'net472' }
        $cmdlets = (Get-Command New-BatchState).ImplementingType.Assembly
        $cmdlets.Location | Should -Be (Join-Path (Split-Path -Parent $ModuleManifestPath) "bin/$framework/StateCmdlets.dll")
    }

    It 'PowerShell 7: runs its cmdlets in a load context of its own, never the default one' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext((Get-Command New-BatchState).ImplementingType.Assembly)
        [object]::ReferenceEquals($context, [System.Runtime.Loader.AssemblyLoadContext]::Default) | Should -BeFalse
        $context.Name | Should -BeLike 'StateCmdlets *'
        # Only the loader is ours in the default context.
        @([System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies | ForEach-Object { $_.GetName().Name } | Where-Object { $_ -like 'StateCmdlets*' }) |
            Should -Be @('StateCmdlets.LoadContext')
    }

    It 'PowerShell 7: ships an assembly the runtime also has only when newer than .NET 8''s, and uses the runtime''s when that is new enough' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        # Npgsql needs System.Diagnostics.DiagnosticSource 9.0; PowerShell 7.4 runs on .NET 8, whose own is 8.0.
        $runtime = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
        $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext((Get-Command New-BatchState).ImplementingType.Assembly)
        foreach ($file in Get-ChildItem -LiteralPath (Join-Path (Split-Path -Parent $ModuleManifestPath) 'bin/net8.0') -Filter '*.dll') {
            $inRuntime = Join-Path $runtime $file.Name
            if (-not (Test-Path -LiteralPath $inRuntime)) { continue }
            $shipped = [System.Reflection.AssemblyName]::GetAssemblyName($file.FullName)
            $shipped.Version.Major | Should -BeGreaterThan 8 -Because "$($file.Name) comes with .NET 8: ship it only when a dependency needs a newer one"
            $own = [System.Reflection.AssemblyName]::GetAssemblyName($inRuntime).Version
            $loaded = $context.LoadFromAssemblyName($shipped)
            $expected = if ($own -ge $shipped.Version) { $inRuntime } else { $file.FullName }
            $loaded.Location | Should -Be $expected -Because "$($file.Name) $($shipped.Version) is shipped, the runtime's is $own"
        }
    }

    It 'gives every assembly of ours the module''s version: assembly, file and product version' {
        $moduleVersion = [version]$data.ModuleVersion
        (Get-Module StateCmdlets).Version | Should -Be $moduleVersion
        $ours = @(Get-ChildItem -LiteralPath (Join-Path (Split-Path -Parent $ModuleManifestPath) 'bin') -Recurse -Filter 'StateCmdlets*.dll')
        $ours.Count | Should -Be 7
        $four = [version]::new($moduleVersion.Major, $moduleVersion.Minor, [Math]::Max(0, $moduleVersion.Build), [Math]::Max(0, $moduleVersion.Revision))
        foreach ($file in $ours) {
            [System.Reflection.AssemblyName]::GetAssemblyName($file.FullName).Version | Should -Be $four -Because $file.FullName
            $info = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($file.FullName)
            "$($info.FileMajorPart).$($info.FileMinorPart).$($info.FileBuildPart).$($info.FilePrivatePart)" | Should -Be "$four" -Because $file.FullName
            $info.ProductVersion | Should -Be $data.ModuleVersion -Because $file.FullName
        }
    }

    It 'has no placeholder or made-up address: no LicenseUri, ProjectUri or HelpUri that leads nowhere' {
        $psData = $data.PrivateData.PSData
        foreach ($key in 'LicenseUri', 'ProjectUri', 'IconUri') {
            if ($psData.ContainsKey($key)) { $psData[$key] | Should -Not -Match 'example\.(invalid|com|org)' }
        }
        $data.ContainsKey('HelpInfoURI') | Should -BeFalse
        @(Get-Command -Module StateCmdlets | Where-Object HelpUri) | Should -BeNullOrEmpty
    }

    It 'ships the LICENSE (MIT, as the Copyright says) and the CHANGELOG.md its release notes point to' {
        $base = Split-Path -Parent $ModuleManifestPath
        $data.Copyright | Should -Match 'MIT'
        Get-Content -LiteralPath (Join-Path $base 'LICENSE') -TotalCount 1 | Should -Be 'MIT License'
        $data.PrivateData.PSData.ReleaseNotes | Should -Match 'CHANGELOG\.md'
        Join-Path $base 'CHANGELOG.md' | Should -Exist
    }

    It 'tags PSIncludes_Cmdlet and a PSCommand_ tag for each exported cmdlet, and no other' {
        $tags = @($data.PrivateData.PSData.Tags)
        'PSIncludes_Cmdlet' | Should -BeIn $tags
        (@($tags | Where-Object { $_ -like 'PSCommand_*' } | ForEach-Object { $_.Substring(10) } | Sort-Object) -join ',') |
            Should -BeExactly (@($data.CmdletsToExport | Sort-Object) -join ',')
    }

    It 'imports again (-Force, and after Remove-Module) with every cmdlet, and scripts can name its types' {
        $script = Join-Path (Split-Path -Parent (New-TestStateDirectory -NoCreate)) 'reimport.ps1'
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Manifest)
$ErrorActionPreference = 'Stop'
Import-Module $Manifest
$counts = @((Get-Module StateCmdlets).ExportedCmdlets.Count)
Import-Module $Manifest -Force
$counts += (Get-Module StateCmdlets).ExportedCmdlets.Count
Remove-Module StateCmdlets
Import-Module $Manifest
$counts += (Get-Module StateCmdlets).ExportedCmdlets.Count
$types = 'StateCmdlets.BatchState', 'StateCmdlets.FeatureState', 'StateCmdlets.Core.Versioning.MigrationOutcome' | Where-Object { $_ -as [type] }
"$($counts -join ',');$($types -join ',')"
'@
        $r = Invoke-TestPwsh -ScriptPath $script -ArgumentList @('-Manifest', $ModuleManifestPath) -What 're-import'
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $n = @($data.CmdletsToExport).Count
        $r.StdOut.Trim() | Should -Be "$n,$n,$n;StateCmdlets.BatchState,StateCmdlets.FeatureState,StateCmdlets.Core.Versioning.MigrationOutcome"
    }

    It 'is loaded from the staged module, not from anywhere else' {
        $loaded = Get-Module StateCmdlets
        @($loaded).Count | Should -Be 1
        $loaded.ModuleBase | Should -Be (Split-Path -Parent $ModuleManifestPath)
    }
}
