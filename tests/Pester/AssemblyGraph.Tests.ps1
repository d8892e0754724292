BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    Add-Type -AssemblyName System.Reflection.Metadata

    $moduleFolder = Split-Path -Parent $ModuleManifestPath
    $net472 = Join-Path $moduleFolder 'bin/net472'

    # What .NET Framework 4.7.2 itself provides (its assemblies and facades, with their versions):
    # the RedistList of the reference assemblies the net472 build was compiled against.
    function Get-FrameworkAssemblies {
        $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim() }
        $package = Get-ChildItem -LiteralPath (Join-Path $packages 'microsoft.netframework.referenceassemblies.net472') -Directory -ErrorAction SilentlyContinue |
            Sort-Object { [version]$_.Name } | Select-Object -Last 1
        $list = if ($package) { Get-Item -LiteralPath (Join-Path $package.FullName 'build/.NETFramework/v4.7.2/RedistList/FrameworkList.xml') -ErrorAction SilentlyContinue }
        if (-not $list) { throw "The .NET Framework 4.7.2 reference assemblies are not in the NuGet package folder '$packages' (the net472 build restores them)." }
        $framework = @{}
        foreach ($file in ([xml](Get-Content -LiteralPath $list.FullName -Raw)).FileList.File) { $framework[$file.AssemblyName] = [version]$file.Version }
        $framework
    }

    function Get-AssemblyReference {
        <# The assemblies a file references, as AssemblyName objects, read from its metadata (nothing is loaded). #>
        param([Parameter(Mandatory)] [string] $Path)
        $stream = [System.IO.File]::OpenRead($Path)
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        try {
            $reader = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            foreach ($handle in $reader.AssemblyReferences) { $reader.GetAssemblyReference($handle).GetAssemblyName() }
        }
        finally { $pe.Dispose(); $stream.Dispose() }
    }

    function Test-WindowsPowerShellGraph {
        <#
        .SYNOPSIS
            Walks the assembly graph of a bin/net472 folder as .NET Framework 4.7.2 under Windows
            PowerShell 5.1 binds it, from the module's own assemblies (StateCmdlets*.dll), and
            returns one line per reference nothing satisfies. A reference is satisfied by the
            framework (its version at least the one asked for), by the host (the PowerShell
            engine, 3.0.0.0 in 5.1), by a shipped file of exactly that version (found next to the
            assembly that asks), or, when the shipped file is newer, by the resolver: -Resolver
            gets the AssemblyName and must answer with that file's path.
        #>
        param(
            [Parameter(Mandatory)] [string] $Folder,
            [Parameter(Mandatory)] [hashtable] $Framework,
            [scriptblock] $Resolver
        )
        $problems = [System.Collections.Generic.List[string]]::new()
        $queue = [System.Collections.Generic.Queue[string]]::new()
        $seen = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
        foreach ($own in Get-ChildItem -LiteralPath $Folder -Filter 'StateCmdlets*.dll') { $queue.Enqueue($own.FullName); $null = $seen.Add($own.FullName) }
        while ($queue.Count -gt 0) {
            $path = $queue.Dequeue()
            $from = Split-Path -Leaf $path
            foreach ($ref in Get-AssemblyReference -Path $path) {
                $wanted = if ($ref.Version) { $ref.Version } else { [version]'0.0.0.0' }
                if ($Framework.ContainsKey($ref.Name) -and $Framework[$ref.Name] -ge $wanted) { continue }
                if ($ref.Name -eq 'System.Management.Automation' -and $wanted -le [version]'3.0.0.0') { continue }
                $shipped = Join-Path $Folder "$($ref.Name).dll"
                if (-not (Test-Path -LiteralPath $shipped)) {
                    $problems.Add("$from -> $($ref.Name) $wanted`: neither .NET Framework 4.7.2 nor the module has it"); continue
                }
                if ($seen.Add($shipped)) { $queue.Enqueue($shipped) }
                $version = [System.Reflection.AssemblyName]::GetAssemblyName($shipped).Version
                if ($version -eq $wanted) { continue }
                if ($version -lt $wanted) { $problems.Add("$from -> $($ref.Name) $wanted`: the module ships the older $version"); continue }
                $answer = if ($Resolver) { & $Resolver $ref }
                if ($answer -ne $shipped) { $problems.Add("$from -> $($ref.Name) $wanted`: $version ships, and no resolver maps the request to it") }
            }
        }
        , $problems
    }

    # The resolver's own mapping, from the net472 loader that ships, in a context of its own (this
    # process already has the net8.0 loader of the same name).
    $loaderContext = [System.Runtime.Loader.AssemblyLoadContext]::new('net472 loader under test', $true)
    $loader = $loaderContext.LoadFromAssemblyPath((Join-Path $net472 'StateCmdlets.LoadContext.dll'))
    $shippedType = $loader.GetType('StateCmdlets.Loading.ShippedAssemblies', $true)
    $shipped = $shippedType.GetConstructor([type[]]@([string])).Invoke([object[]]@([string]$net472))
    $pathFor = $shippedType.GetMethod('PathFor')
    $resolver = { param($name) $pathFor.Invoke($shipped, [object[]]@([System.Reflection.AssemblyName]$name)) }.GetNewClosure()

    $framework = Get-FrameworkAssemblies
}

AfterAll {
    if ($loaderContext) { $loaderContext.Unload() }
}

Describe 'Windows PowerShell 5.1: the bin/net472 assembly graph' {
    It 'has the module''s assemblies and the dependencies they need' {
        foreach ($file in 'StateCmdlets.dll', 'StateCmdlets.Core.dll', 'StateCmdlets.LoadContext.dll', 'System.Text.Json.dll', 'System.Memory.dll', 'System.Runtime.CompilerServices.Unsafe.dll') {
            Join-Path $net472 $file | Should -Exist
        }
    }

    It 'resolves every reference to the framework, the host, or a shipped file at least as new' {
        $problems = Test-WindowsPowerShellGraph -Folder $net472 -Framework $framework -Resolver $resolver
        $problems | Should -BeNullOrEmpty
    }

    It 'without the resolver (the flat layout before it), finds the references .NET Framework cannot bind' {
        # What broke Windows PowerShell 5.1 before: no binding redirects, no resolver.
        $problems = Test-WindowsPowerShellGraph -Folder $net472 -Framework $framework
        $problems | Should -Contain 'System.Memory.dll -> System.Runtime.CompilerServices.Unsafe 4.0.4.1: 6.0.0.0 ships, and no resolver maps the request to it'
    }

    It 'needs PowerShell only as 3.0.0.0 (Windows PowerShell 5.1''s engine) and .NET Framework no newer than 4.7.2' {
        $refs = foreach ($file in Get-ChildItem -LiteralPath $net472 -Filter '*.dll') { Get-AssemblyReference -Path $file.FullName }
        @($refs | Where-Object Name -EQ 'System.Management.Automation' | ForEach-Object { "$($_.Version)" } | Sort-Object -Unique) | Should -Be @('3.0.0.0')
        @($refs | Where-Object Name -EQ 'mscorlib' | ForEach-Object { "$($_.Version)" } | Sort-Object -Unique) | Should -Be @('4.0.0.0')
    }
}

Describe 'The net472 resolver''s mapping (StateCmdlets.Loading.ShippedAssemblies)' {
    It 'answers a request for an older version with the shipped file' {
        & $resolver ([System.Reflection.AssemblyName]'System.Runtime.CompilerServices.Unsafe, Version=4.0.4.1, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a') |
            Should -Be (Join-Path $net472 'System.Runtime.CompilerServices.Unsafe.dll')
        & $resolver ([System.Reflection.AssemblyName]'StateCmdlets.Core') | Should -Be (Join-Path $net472 'StateCmdlets.Core.dll')
    }

    It 'does not answer a request for a newer version, another key, a culture or a name it does not ship' {
        & $resolver ([System.Reflection.AssemblyName]'System.Runtime.CompilerServices.Unsafe, Version=99.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a') | Should -BeNullOrEmpty
        & $resolver ([System.Reflection.AssemblyName]'System.Runtime.CompilerServices.Unsafe, Version=4.0.4.1, Culture=neutral, PublicKeyToken=0123456789abcdef') | Should -BeNullOrEmpty
        & $resolver ([System.Reflection.AssemblyName]'StateCmdlets.resources, Version=0.0.0.0, Culture=de') | Should -BeNullOrEmpty
        & $resolver ([System.Reflection.AssemblyName]'Newtonsoft.Json') | Should -BeNullOrEmpty
    }
}
