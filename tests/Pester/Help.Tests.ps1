BeforeDiscovery {
    # Discovery runs before BeforeAll: take the cmdlet names from the staged manifest itself.
    $cmdlets = @((Import-PowerShellDataFile -LiteralPath $env:STATECMDLETS_TEST_MODULE).CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $CommonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

    function Get-ParaText($Node) {
        # Get-Help gives descriptions as lists of paragraph objects with a Text property.
        (@($Node) | ForEach-Object { if ($_ -is [string]) { $_ } else { $_.Text } }) -join "`n"
    }
}

Describe 'The staged help files' {
    It 'has the compiled MAML and the about topic in en-US, and no Markdown sources' {
        $base = Split-Path -Parent $ModuleManifestPath
        Join-Path $base 'en-US/StateCmdlets.dll-Help.xml' | Should -Exist
        Join-Path $base 'en-US/about_StateCmdlets.help.txt' | Should -Exist
        @(Get-ChildItem -LiteralPath $base -Recurse -File -Include '*.md', 'ConvertTo-MamlHelp.ps1' -Exclude 'CHANGELOG.md').Count | Should -Be 0
        Join-Path $base 'help' | Should -Not -Exist
    }

    It 'is well-formed MAML with one command element per exported cmdlet' {
        $xml = [xml](Get-Content -LiteralPath (Join-Path (Split-Path -Parent $ModuleManifestPath) 'en-US/StateCmdlets.dll-Help.xml') -Raw)
        $ns = [System.Xml.XmlNamespaceManager]::new($xml.NameTable)
        $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $names = @($xml.SelectNodes('//command:command/command:details/command:name', $ns) | ForEach-Object InnerText | Sort-Object)
        $exported = @(Get-Command -Module StateCmdlets | ForEach-Object Name | Sort-Object)
        ($names -join ',') | Should -BeExactly ($exported -join ',')
    }
}

Describe 'Get-Help <Name>' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
        $command = Get-Command -Name $Name
    }

    It 'comes from the compiled help, not from the generated stub' {
        # Without a help file, Get-Help makes the synopsis from the syntax and has no examples.
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ('^\s*' + [regex]::Escape($Name))
        $help.Synopsis | Should -Not -Match '<CommonParameters>'
    }

    It 'has a description' {
        (Get-ParaText $help.description).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code and a remark' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty -Because $example.title
            (Get-ParaText $example.remarks).Trim() | Should -Not -BeNullOrEmpty -Because $example.title
        }
    }

    It 'has example code that parses without errors' {
        foreach ($example in @($help.examples.example)) {
            $tokens = $null; $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($example.code, [ref] $tokens, [ref] $errors)
            @($errors | ForEach-Object Message) | Should -BeNullOrEmpty -Because "$($example.title) must parse"
        }
    }

    It 'describes every parameter but the common ones' {
        $documented = @{}
        foreach ($p in @($help.parameters.parameter)) { $documented[$p.name] = (Get-ParaText $p.description).Trim() }
        $expected = @($command.Parameters.Keys | Where-Object { $_ -notin $CommonParameters })
        $expected.Count | Should -BeGreaterThan 0
        foreach ($name in $expected) {
            $documented.ContainsKey($name) | Should -BeTrue -Because "-$name must be in the help"
            $documented[$name] | Should -Not -BeNullOrEmpty -Because "-$name needs a description"
        }
        # And nothing the cmdlet does not have.
        foreach ($name in $documented.Keys) { $name | Should -BeIn $expected }
    }

    It 'shows the syntax of every parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be @($command.ParameterSets).Count
    }
}

Describe 'Get-Help about_StateCmdlets' {
    It 'finds the topic' {
        $topic = Get-Help -Name about_StateCmdlets
        @($topic).Count | Should -Be 1
        $topic.Name | Should -Be 'about_StateCmdlets'
        $text = $topic | Out-String
        foreach ($heading in 'BATCHES', 'RESUME', 'THE STATE DIRECTORY', 'THE LOCK', 'DURABILITY', 'LIMITS', 'SCHEMA VERSIONS AND MIGRATION', 'ERRORS') {
            $text | Should -Match ([regex]::Escape($heading))
        }
        $text | Should -Match 'STATECMDLETS_HOME'
    }

    It 'lists every exported cmdlet, in its overview and under SEE ALSO, and no other' {
        $text = (Get-Help -Name about_StateCmdlets | Out-String) -split "`r?`n"
        $exported = @((Get-Module StateCmdlets).ExportedCmdlets.Keys | Sort-Object)
        $overview = @($text | Where-Object { $_ -match '^\s{8}([A-Z][a-z]+-[A-Za-z]+)\s{2,}\S' } | ForEach-Object { $Matches[1] } | Sort-Object -Unique)
        $overview -join ',' | Should -Be ($exported -join ',')
        $start = [array]::FindIndex([string[]]$text, [Predicate[string]] { param($l) $l -match '^SEE ALSO' })
        $seeAlso = @($text[($start + 1)..($text.Count - 1)] | ForEach-Object { $_.Trim() } | Where-Object { $_ -match '^[A-Z][a-z]+-[A-Za-z]+$' } | Sort-Object)
        $seeAlso -join ',' | Should -Be ($exported -join ',')
    }

    It 'explains every batch Status' {
        $text = Get-Help -Name about_StateCmdlets | Out-String
        foreach ($status in [enum]::GetNames([StateCmdlets.Core.Batches.BatchStatus])) {
            $text | Should -Match "(?m)^\s{8}$status\s{2,}\S" -Because "$status is a Status a batch can have"
        }
    }
}

Describe 'The help examples' {
    # Every example is real: each cmdlet's examples run in order, in a child pwsh whose default
    # state directory and current location are a fresh temp folder, and none may write an error.
    BeforeAll {
        $work = New-TestStateDirectory
        $runner = Join-Path $TestDrive 'Invoke-HelpExamples.ps1'
        Set-Content -LiteralPath $runner -Encoding utf8 -Value @'
param([string] $ModuleManifest, [string] $WorkRoot)
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModuleManifest -ErrorAction Stop
$failures = [System.Collections.Generic.List[string]]::new()
$ran = 0
foreach ($name in (Get-Command -Module StateCmdlets | ForEach-Object Name)) {
    $folder = Join-Path $WorkRoot $name
    $null = New-Item -ItemType Directory -Path $folder
    $env:STATECMDLETS_HOME = Join-Path $folder 'default-state'
    Push-Location -LiteralPath $folder
    try {
        foreach ($example in @((Get-Help -Name $name -Full).examples.example)) {
            $ran++
            $Error.Clear()
            try { $null = & ([scriptblock]::Create($example.code)) | Out-String }
            catch { $failures.Add("${name} $($example.title): threw $_") }
            foreach ($e in @($Error)) { $failures.Add("${name} $($example.title): $e") }
        }
    }
    finally { Pop-Location }
}
[pscustomobject]@{ Ran = $ran; Failures = @($failures) } | ConvertTo-Json -Compress
'@
        $result = Invoke-TestPwsh -ScriptPath $runner -ArgumentList @('-ModuleManifest', $ModuleManifestPath, '-WorkRoot', $work) -TimeoutSeconds 180 -What 'help examples'
        $report = ($result.StdOut -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
    }

    AfterAll { Remove-TestStateDirectory -Path $work }

    It 'all run without an error' {
        $result.ExitCode | Should -Be 0 -Because $result.StdErr
        $report | Should -Not -BeNullOrEmpty -Because "the runner printed: $($result.StdOut) $($result.StdErr)"
        $report.Ran | Should -BeGreaterOrEqual (2 * @(Get-Command -Module StateCmdlets).Count)
        @($report.Failures) | Should -BeNullOrEmpty
    }

    It 'keep their state in the default state directory or ./state, nowhere else' {
        foreach ($folder in Get-ChildItem -LiteralPath $work -Directory) {
            foreach ($entry in Get-EntryNames $folder.FullName) { $entry | Should -BeIn 'default-state', 'state' -Because "$($folder.Name) examples" }
        }
    }
}
