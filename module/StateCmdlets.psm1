# The root module: picks the build for this host and imports its cmdlets.
#   PowerShell 7.4 and later   bin/net8.0, loaded into an AssemblyLoadContext of the module's own,
#                              so another module's copy of a dependency never meets ours
#   Windows PowerShell 5.1     bin/net472, with an AssemblyResolve handler that answers every
#                              dependency with the file shipped next to it
# Both are done by StateCmdlets.LoadContext.dll (src/StateCmdlets.LoadContext), the one assembly
# of ours loaded into the host's own context; it has no dependencies of its own.

if ($PSVersionTable.PSEdition -eq 'Core') {
    # PowerShell 7.0 to 7.3 run on .NET Core 3.1 to .NET 7, which cannot load a net8.0 assembly.
    if ([Environment]::Version -lt [version]'8.0') {
        throw "StateCmdlets needs PowerShell 7.4 or later, or Windows PowerShell 5.1; this is PowerShell $($PSVersionTable.PSVersion) on .NET $([Environment]::Version). Install PowerShell 7.4 or later."
    }
    $framework = 'net8.0'
}
else {
    $framework = 'net472'
}
$bin = [System.IO.Path]::Combine($PSScriptRoot, 'bin', $framework)

# The loader goes into the host's own context. (Assembly.LoadFrom, not Add-Type: the first Add-Type
# of a process costs more than the rest of the import.) Loading the same file again gives back the
# same assembly; another version of this module imported earlier in this process has its own
# loader there already, and that one serves this folder as well (its methods take the folder, and
# keep their names from version to version).
$loaderPath = [System.IO.Path]::Combine($bin, 'StateCmdlets.LoadContext.dll')
try { $loader = [System.Reflection.Assembly]::LoadFrom($loaderPath).GetType('StateCmdlets.Loading.ModuleLoader', $true) }
catch [System.IO.FileLoadException] { $loader = [type]'StateCmdlets.Loading.ModuleLoader' }
$reimport = $loader::IsLoaded($bin)
# The cmdlets, then the core: importing an assembly is also what lets scripts name its public types
# ([StateCmdlets.BatchState], [StateCmdlets.Core.Versioning.MigrationOutcome]); PowerShell does not
# look for types in another load context by itself.
$assemblies = $loader::LoadModule($bin)
foreach ($assembly in $assemblies) {
    # On a second import (-Force, or after Remove-Module) the assembly's module from the first
    # import is still in the session, and PowerShell would reuse it without exporting its cmdlets
    # again (PowerShell issue 20710): remove it first.
    if ($reimport) { Get-Module -All | Where-Object { $_.ImplementingAssembly -eq $assembly } | Remove-Module -Force }
    Import-Module -Assembly $assembly
}
Remove-Variable -Name framework, bin, loaderPath, loader, reimport, assemblies, assembly
