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

    It 'is loaded from the staged module, not from anywhere else' {
        $loaded = Get-Module StateCmdlets
        @($loaded).Count | Should -Be 1
        $loaded.ModuleBase | Should -Be (Split-Path -Parent $ModuleManifestPath)
    }
}
