#Requires -Version 7.0
<#
.SYNOPSIS
    Compiles the Markdown help of the StateCmdlets cmdlets into the MAML file Get-Help reads.
.DESCRIPTION
    Imports the staged module, reads every exported cmdlet's metadata (parameter sets, types,
    mandatory/position/pipeline flags, aliases, wildcards, ValidateSet values, [OutputType]) and
    module/help/en-US/<Cmdlet-Name>.md, checks that the two agree, and writes
    <module>/en-US/StateCmdlets.dll-Help.xml (the file name comes from the cmdlets' HelpFile).

    build.ps1 runs it in a fresh pwsh after staging the module (so the build process never loads,
    and on Windows never locks, the staged dll):

        pwsh -NoProfile -NonInteractive -File module/help/ConvertTo-MamlHelp.ps1 -ModuleManifest out/StateCmdlets/<version>/StateCmdlets.psd1

    It exits 1, writing every problem found, and writes nothing when:
    - an exported cmdlet has no Markdown file, or a Markdown file names no exported cmdlet;
    - a cmdlet has no SYNOPSIS or DESCRIPTION, fewer than two examples, or an example without
      code, without a remark, or whose code does not parse;
    - a parameter other than the common parameters (-Verbose, -ErrorAction, ...) has no
      description (-WhatIf and -Confirm must be described too: they show in the syntax);
    - a Markdown file describes a parameter the cmdlet does not have;
    - OUTPUTS does not name a type the cmdlet's [OutputType] declares ('None' for System.Void);
    - the SYNTAX section has content, or the file has a section this format does not know.

    THE MARKDOWN FORMAT (one file per cmdlet, UTF-8, in platyPS's layout; sections in this order):

        # New-BatchState                     H1: the cmdlet name, the same as the file name

        ## SYNOPSIS
        One paragraph.

        ## SYNTAX
        <!-- Nothing but this comment: the syntax is generated from the cmdlet's metadata. -->

        ## DESCRIPTION
        Paragraphs, separated by blank lines.

        ## EXAMPLES

        ### Example 1: A title               two or more; each has exactly one fenced code block
        ```powershell                        (PowerShell only: no prompt, no output) followed by
        New-BatchState -Name demo            the remark, one or more paragraphs
        ```
        What the example does.

        ## PARAMETERS

        ### -Name                            one per parameter, in the order Get-Help lists them
        Paragraphs. The type, parameter sets, position, mandatory, pipeline input, aliases and
        wildcard support all come from the metadata; do not repeat them as a table.

        Default value: 3                     optional last paragraph: the default Get-Help shows
                                             (otherwise "None", or "False" for a switch)

        ## INPUTS

        ### System.String                    one H3 per input type ("None" when nothing is piped)
        Paragraphs.

        ## OUTPUTS

        ### StateCmdlets.BatchState          one H3 per output type ("None" for no output)
        Paragraphs.

        ## NOTES
        Paragraphs (optional section).

        ## RELATED LINKS

        - [about_StateCmdlets]()             list items: [text](uri) or [text]() or plain text

    Text rules: a paragraph is a run of non-blank lines, joined with spaces; a line starting with
    "- " starts a new paragraph (a list item keeps its dash); `code spans` lose their backticks;
    [text](uri) links become "text" (or "text (uri)" for an absolute uri); HTML comments are
    dropped. Fenced code blocks are allowed only in examples.
.PARAMETER ModuleManifest
    The staged module's .psd1.
.PARAMETER SourcePath
    The folder holding <Cmdlet-Name>.md (default: en-US next to this script).
.PARAMETER OutputPath
    The MAML file to write (default: <module folder>/en-US/<the cmdlets' HelpFile>).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [string] $SourcePath = (Join-Path $PSScriptRoot 'en-US'),
    [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$script:Problems = [System.Collections.Generic.List[string]]::new()
function Add-Problem([string] $File, [string] $Message) { $script:Problems.Add("${File}: $Message") }

$KnownSections = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS'
$RequiredSections = 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS'
$CommonParameters = [System.Management.Automation.Cmdlet]::CommonParameters

#region Markdown

function Read-HelpMarkdown {
    <# Splits a file into H1 title, H2 sections (ordered) and their H3 subsections, keeping fenced blocks whole. #>
    param([string] $Path)
    $file = Split-Path -Leaf $Path
    $lines = (Get-Content -LiteralPath $Path -Raw -Encoding utf8) -replace "`r`n", "`n" -split "`n"
    $doc = [ordered]@{ Title = $null; Sections = [System.Collections.Generic.List[object]]::new() }
    $section = $null
    $sub = $null
    $inFence = $false
    $inComment = $false
    $lineNumber = 0
    foreach ($raw in $lines) {
        $lineNumber++
        $line = $raw.TrimEnd()
        if (-not $inFence) {
            # HTML comments, possibly over several lines.
            if ($inComment) {
                if ($line -notmatch '-->') { continue }
                $line = $line.Substring($line.IndexOf('-->') + 3)
                $inComment = $false
            }
            $line = $line -replace '<!--.*?-->', ''
            if ($line -match '<!--') { $line = $line.Substring(0, $line.IndexOf('<!--')); $inComment = $true }
        }
        $target = if ($sub) { $sub } elseif ($section) { $section } else { $null }
        if ($line -match '^\s*```') {
            $inFence = -not $inFence
            if ($null -eq $target) { Add-Problem $file "line ${lineNumber}: code outside any section"; continue }
            $target.Lines.Add($line.Trim())
            continue
        }
        if ($inFence) { $target.Lines.Add($raw.TrimEnd()); continue }
        if ($line -match '^# (.+)$') {
            if ($doc.Title) { Add-Problem $file "line ${lineNumber}: a second H1"; continue }
            $doc.Title = $Matches[1].Trim()
            continue
        }
        if ($line -match '^## (.+)$') {
            $name = $Matches[1].Trim().ToUpperInvariant()
            if ($name -notin $KnownSections) { Add-Problem $file "line ${lineNumber}: unknown section '## $($Matches[1].Trim())' (known: $($KnownSections -join ', '))" }
            if ($doc.Sections | Where-Object Name -EQ $name) { Add-Problem $file "line ${lineNumber}: section '## $name' appears twice" }
            $section = [pscustomobject]@{ Name = $name; Lines = [System.Collections.Generic.List[string]]::new(); Subsections = [System.Collections.Generic.List[object]]::new() }
            $doc.Sections.Add($section)
            $sub = $null
            continue
        }
        if ($line -match '^### (.+)$') {
            if ($null -eq $section) { Add-Problem $file "line ${lineNumber}: H3 outside any section"; continue }
            $sub = [pscustomobject]@{ Name = $Matches[1].Trim(); Lines = [System.Collections.Generic.List[string]]::new(); Line = $lineNumber }
            $section.Subsections.Add($sub)
            continue
        }
        if ($line -match '^#{4,} ') { Add-Problem $file "line ${lineNumber}: headings deeper than ### are not part of the format"; continue }
        if ($null -eq $target) {
            if ($line.Trim()) { Add-Problem $file "line ${lineNumber}: text outside any section" }
            continue
        }
        $target.Lines.Add($line)
    }
    if ($inFence) { Add-Problem $file 'a code block is not closed' }
    [pscustomobject]$doc
}

function ConvertTo-HelpText {
    <# Inline Markdown to plain help text. #>
    param([string] $Text)
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]*)\)', {
            param($m)
            $uri = $m.Groups[2].Value
            if ($uri -match '^[a-z]+://') { "$($m.Groups[1].Value) ($uri)" } else { $m.Groups[1].Value }
        })
    $Text = [regex]::Replace($Text, '(`+)(.+?)\1', '$2')
    $Text.Trim()
}

function Get-Paragraphs {
    <# Lines to paragraphs: blank lines separate them, a "- " line starts a list item. Fences are refused. #>
    param([System.Collections.Generic.List[string]] $Lines, [string] $File, [string] $Where)
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $current = [System.Collections.Generic.List[string]]::new()
    $flush = {
        if ($current.Count -gt 0) { $paragraphs.Add((ConvertTo-HelpText ($current -join ' '))); $current.Clear() }
    }
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { Add-Problem $File "$Where has a code block; code blocks belong in examples only"; return , @() }
        if (-not $line.Trim()) { & $flush; continue }
        if ($line -match '^\s*[-*] ') { & $flush; $current.Add(($line.Trim() -replace '^[*] ', '- ')); continue }
        $current.Add($line.Trim())
    }
    & $flush
    , @($paragraphs | Where-Object { $_ })
}

function Get-Section($Doc, [string] $Name) { $Doc.Sections | Where-Object Name -EQ $Name | Select-Object -First 1 }

function Read-Example {
    <# One example: exactly one fenced block, then the remark paragraphs. #>
    param($Sub, [string] $File)
    $where = "example '$($Sub.Name)'"
    $before = [System.Collections.Generic.List[string]]::new()
    $code = [System.Collections.Generic.List[string]]::new()
    $after = [System.Collections.Generic.List[string]]::new()
    $state = 'before'
    $fences = 0
    foreach ($line in $Sub.Lines) {
        if ($line -match '^```') {
            if ($state -eq 'before') {
                $fences++
                if ($line -notmatch '^```(powershell|pwsh|ps1|ps)?$') { Add-Problem $File "$where`: the code block must be PowerShell (``````powershell)" }
                $state = 'code'
            }
            elseif ($state -eq 'code') { $state = 'after' }
            else { $fences++; $state = 'code' }
            continue
        }
        switch ($state) { 'before' { $before.Add($line) } 'code' { $code.Add($line) } 'after' { $after.Add($line) } }
    }
    if ($fences -ne 1) { Add-Problem $File "$where has $fences code blocks; it needs exactly one" }
    if (($before -join '').Trim()) { Add-Problem $File "$where has text before its code block; put it in the remark after the code" }
    $codeText = ($code -join "`n").Trim("`n")
    if (-not $codeText.Trim()) { Add-Problem $File "$where has no code" }
    else {
        $tokens = $null; $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseInput($codeText, [ref] $tokens, [ref] $errors)
        foreach ($e in $errors) { Add-Problem $File "$where`: the code does not parse: $($e.Message) (line $($e.Extent.StartLineNumber))" }
    }
    $remarks = Get-Paragraphs $after $File $where
    if ($remarks.Count -eq 0) { Add-Problem $File "$where has no remark (a paragraph after the code saying what it does)" }
    [pscustomobject]@{ Title = $Sub.Name; Code = $codeText; Remarks = $remarks }
}

function Read-CommandHelp {
    <# Reads and checks one cmdlet's Markdown against its metadata. #>
    param([System.Management.Automation.CommandInfo] $Command, [string] $Path)
    $file = Split-Path -Leaf $Path
    $doc = Read-HelpMarkdown $Path
    if ($doc.Title -ne $Command.Name) { Add-Problem $file "the H1 must be '# $($Command.Name)' (found '$($doc.Title)')" }
    foreach ($name in $RequiredSections) { if (-not (Get-Section $doc $name)) { Add-Problem $file "no '## $name' section" } }
    $order = @($doc.Sections | ForEach-Object Name | Where-Object { $_ -in $KnownSections })
    $expected = @($KnownSections | Where-Object { $_ -in $order })
    if (($order -join '|') -ne ($expected -join '|')) { Add-Problem $file "sections must come in this order: $($KnownSections -join ', ')" }

    $syntax = Get-Section $doc 'SYNTAX'
    if ($syntax -and ((($syntax.Lines -join '').Trim()) -or $syntax.Subsections.Count)) {
        Add-Problem $file 'the SYNTAX section must be empty: the syntax is generated from the cmdlet metadata'
    }

    $help = [ordered]@{ Synopsis = ''; Description = @(); Examples = @(); Parameters = [ordered]@{}; Defaults = @{}; Inputs = @(); Outputs = @(); Notes = @(); Links = @() }

    $s = Get-Section $doc 'SYNOPSIS'
    if ($s) {
        $p = Get-Paragraphs $s.Lines $file 'SYNOPSIS'
        if ($s.Subsections.Count) { Add-Problem $file 'SYNOPSIS has subsections' }
        if ($p.Count -ne 1) { Add-Problem $file "SYNOPSIS must be one paragraph (found $($p.Count))" }
        $help.Synopsis = $p -join ' '
    }
    $s = Get-Section $doc 'DESCRIPTION'
    if ($s) {
        $help.Description = Get-Paragraphs $s.Lines $file 'DESCRIPTION'
        if ($help.Description.Count -eq 0) { Add-Problem $file 'DESCRIPTION is empty' }
        if ($s.Subsections.Count) { Add-Problem $file 'DESCRIPTION has subsections' }
    }

    $s = Get-Section $doc 'EXAMPLES'
    if ($s) {
        if (($s.Lines -join '').Trim()) { Add-Problem $file 'EXAMPLES has text outside an ### Example' }
        $help.Examples = @(foreach ($sub in $s.Subsections) {
                if ($sub.Name -notmatch '^Example \d+: \S') { Add-Problem $file "example heading '### $($sub.Name)' must read '### Example <n>: <title>'" }
                Read-Example $sub $file
            })
        if ($help.Examples.Count -lt 2) { Add-Problem $file "$($help.Examples.Count) example(s); every cmdlet needs at least two" }
    }

    # Parameters: every documented one must exist, every existing one must be documented.
    $actual = @($Command.Parameters.Keys | Where-Object { $_ -notin $CommonParameters })
    $s = Get-Section $doc 'PARAMETERS'
    if ($s) {
        if (($s.Lines -join '').Trim()) { Add-Problem $file 'PARAMETERS has text outside a ### -Parameter section' }
        foreach ($sub in $s.Subsections) {
            if ($sub.Name -notmatch '^-(\w+)$') { Add-Problem $file "parameter heading '### $($sub.Name)' must read '### -Name'"; continue }
            $name = $Matches[1]
            $real = $actual | Where-Object { $_ -eq $name }
            if (-not $real) { Add-Problem $file "documents -$name, which $($Command.Name) does not have"; continue }
            if ($real -cne $name) { Add-Problem $file "documents -$name, spelled -$real in the cmdlet" }
            if ($help.Parameters.Contains($real)) { Add-Problem $file "documents -$real twice"; continue }
            $paragraphs = [System.Collections.Generic.List[string]](Get-Paragraphs $sub.Lines $file "-$real")
            if ($paragraphs.Count -gt 0 -and $paragraphs[$paragraphs.Count - 1] -match '^Default value:\s*(.+)$') {
                $help.Defaults[$real] = $Matches[1].Trim()
                $paragraphs.RemoveAt($paragraphs.Count - 1)
            }
            if ($paragraphs.Count -eq 0) { Add-Problem $file "-$real has no description" }
            $help.Parameters[$real] = @($paragraphs)
        }
    }
    foreach ($name in $actual) {
        if (-not $help.Parameters.Contains($name)) { Add-Problem $file "-$name is not documented (add '### -$name' under PARAMETERS)" }
    }

    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        $s = Get-Section $doc $kind
        if (-not $s) { continue }
        if (($s.Lines -join '').Trim()) { Add-Problem $file "$kind has text outside a ### <type> section" }
        $items = @(foreach ($sub in $s.Subsections) {
                $p = Get-Paragraphs $sub.Lines $file "$kind $($sub.Name)"
                if ($p.Count -eq 0) { Add-Problem $file "$kind $($sub.Name) has no description" }
                [pscustomobject]@{ Type = $sub.Name.Trim('`'); Description = $p }
            })
        if ($items.Count -eq 0) { Add-Problem $file "$kind names no type (write '### None' when there is none)" }
        if ($kind -eq 'INPUTS') { $help.Inputs = $items } else { $help.Outputs = $items }
    }
    foreach ($declared in $Command.OutputType) {
        $type = $declared.Type
        $names = if ($type -eq [void]) { @('None', 'System.Void') } elseif ($type) { @($type.FullName, $type.Name) } else { @($declared.Name) }
        if (-not ($help.Outputs | Where-Object { $_.Type -in $names })) {
            Add-Problem $file "OUTPUTS does not name $($names[0]), which [OutputType] declares"
        }
    }

    $s = Get-Section $doc 'NOTES'
    if ($s) { $help.Notes = Get-Paragraphs $s.Lines $file 'NOTES' }
    $s = Get-Section $doc 'RELATED LINKS'
    if ($s) {
        $help.Links = @(foreach ($line in $s.Lines) {
                if (-not $line.Trim()) { continue }
                if ($line -match '^\s*[-*]\s+\[([^\]]+)\]\(([^)]*)\)\s*$') { [pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[2] } }
                elseif ($line -match '^\s*[-*]\s+(.+)$') { [pscustomobject]@{ Text = (ConvertTo-HelpText $Matches[1]); Uri = '' } }
                else { Add-Problem $file "RELATED LINKS: '$line' is not a list item" }
            })
    }
    [pscustomobject]$help
}

#endregion

#region Metadata

function Get-ParameterRows {
    <# One row per (parameter set, parameter), common parameters left out. #>
    param([System.Management.Automation.CommandParameterSetInfo] $Set)
    foreach ($p in $Set.Parameters) {
        if ($p.Name -in $CommonParameters) { continue }
        [pscustomobject]@{
            Name           = $p.Name
            Type           = $p.ParameterType
            Mandatory      = $p.IsMandatory
            Position       = if ($p.Position -ge 0) { $p.Position } else { $null }
            ByValue        = $p.ValueFromPipeline
            ByPropertyName = $p.ValueFromPipelineByPropertyName
            Aliases        = @($p.Aliases)
            Wildcards      = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            ValidValues    = @(Get-ValidValues $p)
            Switch         = $p.ParameterType -eq [System.Management.Automation.SwitchParameter]
        }
    }
}

function Get-ValidValues($Parameter) {
    $set = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($set) { return @($set.ValidValues) }
    $type = $Parameter.ParameterType
    if ($type.IsEnum) { return [enum]::GetNames($type) }
    @()
}

function Get-SortedRows($Rows) {
    <# Get-Command -Syntax order: positional by position, then mandatory, then the rest, switches and -WhatIf/-Confirm last. #>
    $Rows | Sort-Object @{ Expression = { if ($null -ne $_.Position) { 0 } elseif ($_.Mandatory) { 1 } elseif ($_.Name -in 'WhatIf', 'Confirm') { 4 } elseif ($_.Switch) { 3 } else { 2 } } },
    @{ Expression = { if ($null -ne $_.Position) { $_.Position } else { 0 } } }
}

function Get-PipelineText($Row) {
    $how = @(if ($Row.ByValue) { 'ByValue' }; if ($Row.ByPropertyName) { 'ByPropertyName' })
    if ($how.Count) { "True ($($how -join ', '))" } else { 'False' }
}

function Get-ShortTypeName([type] $Type) {
    if ($Type.IsArray) { return (Get-ShortTypeName $Type.GetElementType()) + '[]' }
    $Type.Name
}

#endregion

#region MAML

$ns = @{
    msh     = 'http://msh'
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}

function Write-Paras([System.Xml.XmlWriter] $W, [string[]] $Paragraphs) {
    if (-not $Paragraphs -or $Paragraphs.Count -eq 0) { $W.WriteElementString('maml', 'para', $ns.maml, ''); return }
    foreach ($p in $Paragraphs) { $W.WriteElementString('maml', 'para', $ns.maml, $p) }
}

function Write-Description([System.Xml.XmlWriter] $W, [string] $Prefix, [string[]] $Paragraphs) {
    $W.WriteStartElement($Prefix, 'description', $ns.maml)
    Write-Paras $W $Paragraphs
    $W.WriteEndElement()
}

function Write-Parameter {
    param([System.Xml.XmlWriter] $W, $Row, [string[]] $Description, [string] $Default, [switch] $InSyntax)
    $W.WriteStartElement('command', 'parameter', $ns.command)
    $W.WriteAttributeString('required', $Row.Mandatory.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', $Row.Type.IsArray.ToString().ToLowerInvariant())
    $W.WriteAttributeString('globbing', $Row.Wildcards.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', (Get-PipelineText $Row))
    $W.WriteAttributeString('position', $(if ($null -ne $Row.Position) { [string]$Row.Position } else { 'named' }))
    $W.WriteAttributeString('aliases', $(if ($Row.Aliases.Count) { $Row.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $ns.maml, $Row.Name)
    Write-Description $W 'maml' $Description
    $short = Get-ShortTypeName $Row.Type
    if ($InSyntax -and $Row.ValidValues.Count -and -not $Row.Switch) {
        $W.WriteStartElement('command', 'parameterValueGroup', $ns.command)
        foreach ($v in $Row.ValidValues) {
            $W.WriteStartElement('command', 'parameterValue', $ns.command)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $ns.command, 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    elseif (-not ($InSyntax -and $Row.Switch)) {
        $W.WriteStartElement('command', 'parameterValue', $ns.command)
        $W.WriteAttributeString('required', (-not $Row.Switch).ToString().ToLowerInvariant())
        $W.WriteAttributeString('variableLength', $Row.Type.IsArray.ToString().ToLowerInvariant())
        $W.WriteString($short)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $ns.dev)
    $W.WriteElementString('maml', 'name', $ns.maml, $Row.Type.FullName)
    $W.WriteElementString('maml', 'uri', $ns.maml, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $ns.dev, $(if ($Default) { $Default } elseif ($Row.Switch) { 'False' } else { 'None' }))
    $W.WriteEndElement()
}

function Write-TypeList([System.Xml.XmlWriter] $W, [string] $Outer, [string] $Inner, $Items) {
    $W.WriteStartElement('command', $Outer, $ns.command)
    foreach ($item in $Items) {
        $W.WriteStartElement('command', $Inner, $ns.command)
        $W.WriteStartElement('dev', 'type', $ns.dev)
        $W.WriteElementString('maml', 'name', $ns.maml, $item.Type)
        $W.WriteEndElement()
        Write-Description $W 'maml' $item.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()
}

function Write-CommandHelp {
    param([System.Xml.XmlWriter] $W, [System.Management.Automation.CmdletInfo] $Command, $Help)
    $W.WriteStartElement('command', 'command', $ns.command)
    $W.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $W.WriteAttributeString('xmlns', 'command', $null, $ns.command)
    $W.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
    $W.WriteAttributeString('xmlns', 'MSHelp', $null, $ns.MSHelp)

    $W.WriteStartElement('command', 'details', $ns.command)
    $W.WriteElementString('command', 'name', $ns.command, $Command.Name)
    $W.WriteElementString('command', 'verb', $ns.command, $Command.Verb)
    $W.WriteElementString('command', 'noun', $ns.command, $Command.Noun)
    Write-Description $W 'maml' @($Help.Synopsis)
    $W.WriteEndElement()

    Write-Description $W 'maml' $Help.Description

    # Syntax: one item per parameter set, the default set first.
    $sets = @($Command.ParameterSets | Sort-Object { -not $_.IsDefault })
    $W.WriteStartElement('command', 'syntax', $ns.command)
    $allRows = @{}
    foreach ($set in $sets) {
        $W.WriteStartElement('command', 'syntaxItem', $ns.command)
        $W.WriteElementString('maml', 'name', $ns.maml, $Command.Name)
        foreach ($row in Get-SortedRows @(Get-ParameterRows $set)) {
            Write-Parameter $W $row $Help.Parameters[$row.Name] $Help.Defaults[$row.Name] -InSyntax
            if (-not $allRows.ContainsKey($row.Name)) { $allRows[$row.Name] = [System.Collections.Generic.List[object]]::new() }
            $allRows[$row.Name].Add($row)
        }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    # Parameters: each once, in the Markdown's order; where sets differ, the weakest claim.
    $W.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($name in $Help.Parameters.Keys) {
        $rows = $allRows[$name]
        if (-not $rows) { continue }
        $first = $rows[0]
        $positions = @($rows | ForEach-Object { $_.Position } | Select-Object -Unique)
        $merged = [pscustomobject]@{
            Name           = $first.Name
            Type           = $first.Type
            Mandatory      = -not ($rows | Where-Object { -not $_.Mandatory })
            Position       = if ($positions.Count -eq 1) { $positions[0] } else { $null }
            ByValue        = [bool]($rows | Where-Object ByValue)
            ByPropertyName = [bool]($rows | Where-Object ByPropertyName)
            Aliases        = @($first.Aliases)
            Wildcards      = $first.Wildcards
            ValidValues    = @($first.ValidValues)
            Switch         = $first.Switch
        }
        Write-Parameter $W $merged $Help.Parameters[$name] $Help.Defaults[$name]
    }
    $W.WriteEndElement()

    Write-TypeList $W 'inputTypes' 'inputType' $Help.Inputs
    Write-TypeList $W 'returnValues' 'returnValue' $Help.Outputs

    if ($Help.Notes.Count) {
        $W.WriteStartElement('maml', 'alertSet', $ns.maml)
        $W.WriteStartElement('maml', 'alert', $ns.maml)
        Write-Paras $W $Help.Notes
        $W.WriteEndElement()
        $W.WriteEndElement()
    }

    $W.WriteStartElement('command', 'examples', $ns.command)
    $n = 0
    foreach ($example in $Help.Examples) {
        $n++
        $title = $example.Title -replace '^Example \d+:\s*', ''
        $W.WriteStartElement('command', 'example', $ns.command)
        $W.WriteElementString('maml', 'title', $ns.maml, "-------------------------- Example ${n}: $title --------------------------")
        $W.WriteElementString('dev', 'code', $ns.dev, $example.Code)
        $W.WriteStartElement('dev', 'remarks', $ns.dev)
        # A last empty paragraph puts a blank line between one example's remark and the next title.
        Write-Paras $W (@($example.Remarks) + '')
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('maml', 'relatedLinks', $ns.maml)
    foreach ($link in $Help.Links) {
        $W.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $W.WriteElementString('maml', 'linkText', $ns.maml, $link.Text)
        $W.WriteElementString('maml', 'uri', $ns.maml, $link.Uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

#endregion

$manifestPath = (Resolve-Path -LiteralPath $ModuleManifest).ProviderPath
$module = Import-Module $manifestPath -PassThru -Force
$commands = @(Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)
if ($commands.Count -eq 0) { throw "$manifestPath exports no cmdlet." }
$helpFiles = @($commands | ForEach-Object HelpFile | Select-Object -Unique)
if ($helpFiles.Count -ne 1) { throw "The cmdlets name more than one help file: $($helpFiles -join ', ')." }
if (-not $OutputPath) { $OutputPath = Join-Path $module.ModuleBase "en-US/$($helpFiles[0])" }

$sources = @(Get-ChildItem -LiteralPath $SourcePath -Filter '*.md' -File)
$helps = [ordered]@{}
foreach ($command in $commands) {
    $path = Join-Path $SourcePath "$($command.Name).md"
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Add-Problem "$($command.Name).md" "missing: $($command.Name) is exported and has no help"; continue }
    $helps[$command.Name] = Read-CommandHelp $command $path
}
foreach ($source in $sources) {
    if ($source.BaseName -notin $commands.Name) { Add-Problem $source.Name "names no exported cmdlet (exported: $($commands.Name -join ', '))" }
}

if ($script:Problems.Count) {
    [Console]::Error.WriteLine("Help for $($module.Name) is incomplete ($($script:Problems.Count) problem(s)):")
    foreach ($p in $script:Problems) { [Console]::Error.WriteLine("  $p") }
    exit 1
}

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.IndentChars = '  '
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$null = New-Item -ItemType Directory -Path (Split-Path -Parent $OutputPath) -Force
$temp = "$OutputPath.tmp"
$writer = [System.Xml.XmlWriter]::Create($temp, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', $ns.msh)
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($command in $commands) { Write-CommandHelp $writer $command $helps[$command.Name] }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally { $writer.Dispose() }
Move-Item -LiteralPath $temp -Destination $OutputPath -Force
Write-Host "Wrote help for $($commands.Count) cmdlets to $OutputPath"
