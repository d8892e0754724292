<#
.SYNOPSIS
    Imports StateCmdlets by name and runs every exported cmdlet once; exits 1 at the first failure.
.DESCRIPTION
    For hosts the Pester suite does not run in: Windows PowerShell 5.1 (powershell.exe; the suite is
    written for PowerShell 7) and the PowerShell 7 a CI image comes with (7.4 on GitHub's). The CI
    workflow runs it there on the package build.ps1 Test installed; Pester runs it too
    (HostCheck.Tests.ps1), so it is written for both editions. On 5.1 it is what shows that
    bin/net472 loads: every cmdlet reads or writes JSON through System.Text.Json, whose
    dependencies do not bind without the module's resolver.
.PARAMETER ExpectedModuleBase
    The folder the module must come from (the installed package).
#>
param([Parameter(Mandatory = $true)] [string] $ExpectedModuleBase)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0
$work = Join-Path ([System.IO.Path]::GetTempPath()) ('statecmdlets-check-' + [guid]::NewGuid().ToString('N'))
$ran = New-Object 'System.Collections.Generic.List[string]'
try {
    $module = Import-Module StateCmdlets -PassThru
    $expected = [System.IO.Path]::GetFullPath($ExpectedModuleBase).TrimEnd('\', '/')
    if ([System.IO.Path]::GetFullPath($module.ModuleBase).TrimEnd('\', '/') -ne $expected) {
        throw "Import-Module StateCmdlets loaded '$($module.ModuleBase)', not '$expected'."
    }
    $framework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'net472' }
    $dll = (Get-Command New-BatchState).ImplementingType.Assembly.Location
    if ($dll -ne [System.IO.Path]::Combine($expected, 'bin', $framework, 'StateCmdlets.dll')) { throw "The cmdlets come from '$dll', not bin/$framework." }

    $d = New-Item -ItemType Directory -Path (Join-Path $work 'state') -Force
    $s = Join-Path $work 'values.json'
    $null = New-BatchState -Name check -BatchId check -Feature a, b, c -StateDirectory $d; $ran.Add('New-BatchState')
    if ((Get-BatchState -BatchId check -StateDirectory $d).Total -ne 3) { throw 'Get-BatchState: not 3 features' }; $ran.Add('Get-BatchState')
    $first = @(Resume-BatchState -BatchId check -StateDirectory $d)[0]; $ran.Add('Resume-BatchState')
    $first | Set-FeatureResult -Status Completed -Data @{ Size = 42; Tags = @('x', 'y') }; $ran.Add('Set-FeatureResult')
    $data = (Get-BatchState -BatchId check -StateDirectory $d).Features[0].Data
    if ($data.Size -ne 42) { throw "Set-FeatureResult -Data came back as '$data'." }
    $null = Reset-BatchContext -BatchId check -StateDirectory $d -PassThru; $ran.Add('Reset-BatchContext')
    $null = Checkpoint-BatchState -BatchId check -StateDirectory $d -PassThru; $ran.Add('Checkpoint-BatchState')
    if (-not (Test-BatchState -BatchId check -StateDirectory $d -Quiet)) { throw 'Test-BatchState: not sound' }; $ran.Add('Test-BatchState')
    $null = Repair-BatchState -BatchId check -StateDirectory $d -Confirm:$false; $ran.Add('Repair-BatchState')
    # A batch file of the Python tool this module replaces, written without a byte order mark.
    $python = Join-Path $work 'python-batch.json'
    [System.IO.File]::WriteAllText($python, '{"batch_id": "py", "features": ["one", "two"], "total_features": 2, "current_index": 1, "completed_features": [0], "failed_features": [], "status": "in_progress", "created_at": "2026-11-25T11:24:31.521653Z", "updated_at": "2026-11-25T11:24:31.522736Z"}')
    if ((Import-BatchState -LiteralPath $python -BatchId imported -StateDirectory $d).Completed -ne 1) { throw 'Import-BatchState: not 1 completed' }; $ran.Add('Import-BatchState')
    Remove-BatchState -BatchId imported -StateDirectory $d -Confirm:$false; $ran.Add('Remove-BatchState')
    $copied = Copy-BatchState -BatchId check -StateDirectory $d -Destination (Join-Path $work 'copy') -PassThru
    if ($copied.Completed -ne 1) { throw 'Copy-BatchState: not 1 completed' }; $ran.Add('Copy-BatchState')
    if ($PSVersionTable.PSEdition -ne 'Core') {
        # No PostgreSQL on Windows PowerShell (Npgsql needs .NET 8): a clear error, and the file store goes on.
        $id = $null
        try { $null = Get-BatchState -BatchId check -Store 'Host=db1;Database=automation;Username=ops' } catch { $id = $_.FullyQualifiedErrorId }
        if ($id -notlike 'StateStoreNotSupported*') { throw "A PostgreSQL store on Windows PowerShell gave '$id', not StateStoreNotSupported." }
    }
    $null = Invoke-StateMigration -StateDirectory $d -Force; $ran.Add('Invoke-StateMigration')
    # In worker runspaces that import the module themselves, with a $using: value.
    $suffix = '!'
    $out = @('x', 'y') | Invoke-Batch -Name check-invoke -StateDirectory $d -ThrottleLimit 2 { "$_$using:suffix" } | Sort-Object
    if (($out -join ',') -ne 'x!,y!') { throw "Invoke-Batch: output '$($out -join ',')'" }; $ran.Add('Invoke-Batch')
    Save-StateFile -Path $s -InputObject @{ n = 1; when = 'now' }; $ran.Add('Save-StateFile')
    Update-StateFile -Path $s -ScriptBlock { $_.n++ }; $ran.Add('Update-StateFile')
    if ((Read-StateFile -Path $s).n -ne 2) { throw 'Read-StateFile: n is not 2' }; $ran.Add('Read-StateFile')
    if (-not (Test-StateFile -Path $s -Quiet)) { throw 'Test-StateFile: not sound' }; $ran.Add('Test-StateFile')
    if ((Use-StateLock -Path $s -ScriptBlock { 'inside' }) -ne 'inside') { throw 'Use-StateLock: no output' }; $ran.Add('Use-StateLock')

    $missing = @($module.ExportedCmdlets.Keys | Where-Object { $ran -notcontains $_ })
    if ($missing.Count -gt 0) { throw "Not run by this check: $($missing -join ', ')." }
    Write-Host "StateCmdlets $($module.Version) on PowerShell $($PSVersionTable.PSVersion) ($($PSVersionTable.PSEdition)), from bin/$framework`: $($ran.Count) cmdlets ran."
}
catch {
    Write-Host "FAILED after $($ran.Count) cmdlets ($($ran -join ', ')): $($_.Exception.GetType().FullName): $($_.Exception.Message)"
    Write-Host $_.ScriptStackTrace
    exit 1
}
finally {
    if (Test-Path -LiteralPath $work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
}
exit 0
