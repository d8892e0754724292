<#
.SYNOPSIS
    Shared set-up for the Pester tests. Dot-source it from each test file's BeforeAll:

        BeforeAll { . (Join-Path $PSScriptRoot 'TestSupport.ps1') }

    It imports StateCmdlets from $env:STATECMDLETS_TEST_MODULE (the staged module the runner
    names; never bin/ or the user's module path) and defines the helpers below.
    Every test keeps its state in a folder from New-TestStateDirectory, never in the user's
    default state folder.
#>

if ([string]::IsNullOrEmpty($env:STATECMDLETS_TEST_MODULE)) {
    throw 'STATECMDLETS_TEST_MODULE is not set: run the tests through tests/Invoke-PesterTests.ps1, or set it to the staged StateCmdlets.psd1.'
}
if (-not (Test-Path -LiteralPath $env:STATECMDLETS_TEST_MODULE -PathType Leaf)) {
    throw "STATECMDLETS_TEST_MODULE names '$env:STATECMDLETS_TEST_MODULE', which does not exist."
}

$ModuleManifestPath = (Resolve-Path -LiteralPath $env:STATECMDLETS_TEST_MODULE).ProviderPath
Import-Module $ModuleManifestPath -Force -ErrorAction Stop

# The current process is `dotnet` (pwsh runs as a dotnet tool), so children are started from $PSHOME.
$PwshPath = Join-Path $PSHOME 'pwsh'
$IsLinuxHost = $IsLinux -eq $true

# Every folder this process hands out starts with this prefix, so Remove-TestStateDirectory can
# find them all without any shared variable.
$TestRootPrefix = "statecmdlets-pester-$PID-"

function New-TestStateDirectory {
    <#
    .SYNOPSIS
        A fresh, unique folder for one test's state: <temp>/statecmdlets-pester-<pid>-<guid>/state.
        The returned folder sits alone in its own parent, so a test can check that nothing was
        created next to it. -NoCreate returns the path without creating the state folder itself.
    #>
    [CmdletBinding()]
    param([switch] $NoCreate)
    $root = Join-Path ([IO.Path]::GetTempPath()) ($TestRootPrefix + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $root -ErrorAction Stop
    $state = Join-Path $root 'state'
    if (-not $NoCreate) { $null = New-Item -ItemType Directory -Path $state -ErrorAction Stop }
    $state
}

function Remove-TestStateDirectory {
    <#
    .SYNOPSIS
        Removes the folder (and its private parent) of one state directory, or with no argument
        every folder New-TestStateDirectory made in this process.
    #>
    [CmdletBinding()]
    param([string] $Path)
    if ($Path) {
        $parent = Split-Path -Parent $Path
        $target = if ((Split-Path -Leaf $parent).StartsWith($TestRootPrefix)) { $parent } else { $Path }
        if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force -ErrorAction SilentlyContinue }
        return
    }
    Get-ChildItem -LiteralPath ([IO.Path]::GetTempPath()) -Directory -Filter "$TestRootPrefix*" -ErrorAction SilentlyContinue |
        Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
}

function Get-DirectorySnapshot {
    <#
    .SYNOPSIS
        Every file under a folder (hidden ones too) as relative path -> SHA256, sorted, so two
        snapshots compare with Should -Be on their joined lines.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    if (-not (Test-Path -LiteralPath $Path)) { return @() }
    $full = (Resolve-Path -LiteralPath $Path).ProviderPath
    @(Get-ChildItem -LiteralPath $full -Recurse -File -Force |
        Sort-Object FullName |
        ForEach-Object { '{0} {1}' -f $_.FullName.Substring($full.Length), (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash })
}

function Get-EntryNames {
    <# The names of every entry (files and folders, hidden too) directly in a folder, sorted. #>
    param([Parameter(Mandatory)] [string] $Path)
    @(Get-ChildItem -LiteralPath $Path -Force | ForEach-Object Name | Sort-Object)
}

function Start-TestPwsh {
    <#
    .SYNOPSIS
        Starts a child pwsh (-NoProfile -NonInteractive) on a script file with the given arguments
        and returns the Process, so the caller can wait for it or kill it. Its output goes to
        <script>.out / <script>.err only when the caller reads them (not redirected here).
    #>
    param(
        [Parameter(Mandatory)] [string] $ScriptPath,
        [string[]] $ArgumentList = @(),
        [switch] $RedirectOutput
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new($PwshPath)
    foreach ($a in @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = [bool]$RedirectOutput
    $psi.RedirectStandardError = [bool]$RedirectOutput
    [System.Diagnostics.Process]::Start($psi)
}

function Wait-TestProcess {
    <#
    .SYNOPSIS
        Waits for a process; a hang kills it and throws instead of blocking the suite.
    #>
    param(
        [Parameter(Mandatory)] [System.Diagnostics.Process] $Process,
        [int] $TimeoutSeconds = 60,
        [string] $What = 'child process'
    )
    if (-not $Process.WaitForExit($TimeoutSeconds * 1000)) {
        try { $Process.Kill($true) } catch { }
        $null = $Process.WaitForExit(10000)
        throw "$What (pid $($Process.Id)) did not finish within $TimeoutSeconds s; it was killed."
    }
    $Process.WaitForExit()   # flushes redirected output
}

function Invoke-TestPwsh {
    <#
    .SYNOPSIS
        Runs a script in a child pwsh and returns ExitCode, StdOut and StdErr; bounded by -TimeoutSeconds.
    #>
    param(
        [Parameter(Mandatory)] [string] $ScriptPath,
        [string[]] $ArgumentList = @(),
        [int] $TimeoutSeconds = 120,
        [string] $What = 'child pwsh'
    )
    $p = Start-TestPwsh -ScriptPath $ScriptPath -ArgumentList $ArgumentList -RedirectOutput
    # Read both streams asynchronously so a full pipe cannot block the child.
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    Wait-TestProcess -Process $p -TimeoutSeconds $TimeoutSeconds -What $What
    [pscustomobject]@{
        ExitCode = $p.ExitCode
        StdOut   = $out.GetAwaiter().GetResult()
        StdErr   = $err.GetAwaiter().GetResult()
    }
}

function Wait-Until {
    <#
    .SYNOPSIS
        Polls a condition every 50 ms; throws when it is still false after -TimeoutSeconds.
    #>
    param(
        [Parameter(Mandatory)] [scriptblock] $Condition,
        [int] $TimeoutSeconds = 60,
        [string] $What = 'condition'
    )
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    while (-not (& $Condition)) {
        if ($clock.Elapsed.TotalSeconds -ge $TimeoutSeconds) { throw "Timed out after $TimeoutSeconds s waiting for $What." }
        Start-Sleep -Milliseconds 50
    }
}

function Read-LogLines {
    <# Lines of a log file written with [IO.File]::AppendAllText, or none when it does not exist yet. #>
    param([Parameter(Mandatory)] [string] $Path)
    if (-not (Test-Path -LiteralPath $Path)) { return @() }
    # Share with the writer: the child may be appending right now.
    $stream = [IO.FileStream]::new($Path, 'Open', 'Read', 'ReadWrite')
    try { $text = [IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
    # Only whole lines: the last one may still be being written.
    $lines = $text.Split("`n")
    if ($lines.Count -le 1) { return @() }
    @($lines[0..($lines.Count - 2)] | Where-Object { $_ -ne '' })
}

function Get-UnixMode {
    <# The permission bits of a file or folder as `stat -c %a` prints them (Linux only). #>
    param([Parameter(Mandatory)] [string] $Path)
    (& stat -c '%a' -- $Path).Trim()
}

function New-UnversionedBatch {
    <# A batch file that is an otherwise valid 1.0.0 document without its schemaVersion property. #>
    param([Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [string] $Id)
    $null = New-BatchState -Name "unversioned $Id" -Feature a, b -BatchId $Id -StateDirectory $Directory -ErrorAction Stop
    $path = Join-Path $Directory "$Id.json"
    $text = [IO.File]::ReadAllText($path)
    $edited = $text -replace '\s*"schemaVersion"\s*:\s*"[^"]*",', ''
    if ($edited -eq $text) { throw "No schemaVersion property to remove in $path." }
    [IO.File]::WriteAllText($path, $edited)
}

function Set-BatchSchemaVersion {
    <# Rewrites the schemaVersion of a batch file (valid otherwise), as another module version would write it. #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $Version)
    $text = [IO.File]::ReadAllText($Path)
    $edited = $text -replace '"schemaVersion"\s*:\s*"[^"]*"', ('"schemaVersion": "' + $Version + '"')
    if ($edited -eq $text) { throw "No schemaVersion property to change in $Path." }
    [IO.File]::WriteAllText($Path, $edited)
}

function Start-UnreapedPwsh {
    <#
    .SYNOPSIS
        A child pwsh whose parent (sh, waiting on its stdin) does not reap it: once it has exited
        or been killed it stays a zombie, so its process id still exists. To the claim logic it
        then looks like a process that may be alive (as a worker on another machine would), and
        only a release or the lease can free its claims: the fast path for a process known dead
        cannot explain what the test sees. Output goes to <script>.log.
    #>
    param([Parameter(Mandatory)] [string] $ScriptPath, [string[]] $ArgumentList = @())
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $shell = 'log=$1; shift; "$@" >"$log" 2>&1 </dev/null & echo $!; read line; wait'
    foreach ($a in @('-c', $shell, 'sh', "$ScriptPath.log", $PwshPath, '-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $shellProcess = [System.Diagnostics.Process]::Start($psi)
    $line = $shellProcess.StandardOutput.ReadLineAsync()
    if (-not $line.Wait(20000)) { $shellProcess.Kill(); throw 'sh did not report the pid of the child pwsh within 20 s.' }
    [pscustomobject]@{ Shell = $shellProcess; Id = [int]$line.Result; Log = "$ScriptPath.log" }
}

function Stop-UnreapedPwsh {
    <# Kills the child if it still runs, then lets sh reap it and exit. #>
    param($Worker)
    if (-not $Worker) { return }
    if (-not (Test-ProcessGone $Worker.Id)) { & kill -s KILL $Worker.Id 2>$null }
    try { $Worker.Shell.StandardInput.Close() } catch { }
    if (-not $Worker.Shell.WaitForExit(20000)) { $Worker.Shell.Kill() }
}

function Get-ProcessState {
    <# The state letter of a process in /proc (R, S, T stopped, Z zombie), or $null when it is gone. #>
    param([Parameter(Mandatory)] [int] $ProcessId)
    $stat = try { [IO.File]::ReadAllText("/proc/$ProcessId/stat") } catch { return $null }
    # pid (comm) state ...: comm may hold spaces and parentheses, the state follows the last ')'.
    $stat.Substring($stat.LastIndexOf(')') + 2, 1)
}

function Test-ProcessGone {
    <# The process has ended: a zombie, or no longer there. #>
    param([Parameter(Mandatory)] [int] $ProcessId)
    $state = Get-ProcessState $ProcessId
    $null -eq $state -or $state -eq 'Z' -or $state -eq 'X'
}

# fcntl.flock is Unix-only; on Windows the lock is LockFileEx, which python's fcntl cannot take.
$python = if ($IsWindows) { $null } else { Get-Command python3 -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1 }

function Start-PythonLockHolder {
    <#
    .SYNOPSIS
        Starts python3 holding an exclusive fcntl.flock on a lock file (the seed's own pattern, and
        what the README says any program may do) for some seconds; returns once it holds the lock.
    #>
    param([Parameter(Mandatory)] [string] $LockPath, [Parameter(Mandatory)] [int] $Seconds)
    $code = @'
import fcntl, sys, time
f = open(sys.argv[1], 'a')
fcntl.flock(f, fcntl.LOCK_EX)
print('locked', flush=True)
time.sleep(float(sys.argv[2]))
'@
    $psi = [System.Diagnostics.ProcessStartInfo]::new($python.Source)
    foreach ($a in '-c', $code, $LockPath, "$Seconds") { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $p = [System.Diagnostics.Process]::Start($psi)
    $line = $p.StandardOutput.ReadLineAsync()
    if (-not $line.Wait(20000) -or $line.Result -ne 'locked') {
        try { $p.Kill() } catch { }
        throw "python3 did not report holding the lock on '$LockPath' within 20 s."
    }
    $p
}
