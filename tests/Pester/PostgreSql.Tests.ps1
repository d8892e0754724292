# The batch cmdlets against PostgreSQL, end to end: the server build.ps1 Test started for the whole
# run (STATECMDLETS_TEST_PG, STATECMDLETS_TEST_PG_CLUSTER), or, when this file runs on its own, one
# tests/Start-TestPostgres.ps1 starts for it. One database for the file, one schema per test.

BeforeDiscovery {
    if (-not $env:STATECMDLETS_TEST_PG -and -not $env:STATECMDLETS_TEST_PG_SKIP) {
        $started = & (Join-Path $PSScriptRoot '../Start-TestPostgres.ps1')
        if ($started.SkipReason) { $env:STATECMDLETS_TEST_PG_SKIP = $started.SkipReason }
        else {
            $env:STATECMDLETS_TEST_PG = $started.ConnectionString
            $env:STATECMDLETS_TEST_PG_CLUSTER = $started.Cluster
            $env:STATECMDLETS_TEST_PG_STARTED_HERE = 'yes'
        }
    }
    $noServer = [bool]$env:STATECMDLETS_TEST_PG_SKIP -or -not $env:STATECMDLETS_TEST_PG
    # Crashing and restarting the server: only a throwaway cluster of the tests, never a server they were pointed at.
    $noCluster = $noServer -or -not $env:STATECMDLETS_TEST_PG_CLUSTER
    if ($noServer) { Write-Warning "PostgreSQL end-to-end tests SKIPPED: $(if ($env:STATECMDLETS_TEST_PG_SKIP) { $env:STATECMDLETS_TEST_PG_SKIP } else { 'no server' })" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    $ProgressPreference = 'SilentlyContinue'

    # Npgsql from the module's own load context (the tests' SQL as the superuser: a database, a role,
    # damage made by hand). Reflection, not type names: PowerShell does not see types of another context.
    function New-NpgsqlObject([string] $TypeName, [object[]] $Arguments) {
        $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext((Get-Command New-BatchState).ImplementingType.Assembly)
        $npgsql = $context.LoadFromAssemblyName([System.Reflection.AssemblyName]'Npgsql')
        [Activator]::CreateInstance($npgsql.GetType($TypeName, $true), $Arguments)
    }

    function Invoke-PgSql([string] $ConnectionString, [string] $Sql) {
        $builder = New-NpgsqlObject 'Npgsql.NpgsqlConnectionStringBuilder' @($ConnectionString)
        $builder.Pooling = $false
        $connection = New-NpgsqlObject 'Npgsql.NpgsqlConnection' @($builder.ConnectionString)
        try {
            $connection.Open()
            $command = $connection.CreateCommand()
            $command.CommandText = $Sql
            $command.ExecuteScalar()
        }
        finally { $connection.Dispose() }
    }

    function Set-ConnectionPart([string] $ConnectionString, [hashtable] $Parts) {
        $builder = New-NpgsqlObject 'Npgsql.NpgsqlConnectionStringBuilder' @($ConnectionString)
        foreach ($key in $Parts.Keys) { if ($null -eq $Parts[$key]) { $null = $builder.Remove($key) } else { $builder[$key] = $Parts[$key] } }
        $builder.ConnectionString
    }

    if (-not $env:STATECMDLETS_TEST_PG -or $env:STATECMDLETS_TEST_PG_SKIP) { return }
    $admin = $env:STATECMDLETS_TEST_PG
    $cluster = $env:STATECMDLETS_TEST_PG_CLUSTER
    $adminBuilder = New-NpgsqlObject 'Npgsql.NpgsqlConnectionStringBuilder' @($admin)
    $adminPassword = $adminBuilder.Password
    $pgHost = $adminBuilder.Host
    $pgPort = $adminBuilder.Port
    $database = 'pester_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $null = Invoke-PgSql $admin "CREATE DATABASE $database"
    $dbConnection = Set-ConnectionPart $admin @{ Database = $database }

    # A schema of the test's own (made by the module on first use), in the file's database.
    function New-TestStore { "$dbConnection;Search Path=t_$([guid]::NewGuid().ToString('N').Substring(0, 16))" }

    function Get-Projection {
        <# What a copy must keep of a batch, as text: settings, counters, every feature's outcome. Times to the microsecond (PostgreSQL's precision). #>
        param($Batch)
        $t = { param($d) if ($null -eq $d) { '-' } else { ([datetime]$d).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.ffffff') } }
        $lines = @(
            "$($Batch.BatchId) '$($Batch.Name)' $($Batch.Status) total=$($Batch.Total) max=$($Batch.MaxAttempts) breaker=$($Batch.MaxConsecutiveFailures)/$($Batch.ConsecutiveFailures)"
            "retry=$($Batch.RetryDelay)/$($Batch.MaxRetryDelay) lease=$($Batch.Lease) permanent=$($Batch.PermanentErrorTypes -join ',') tokens=$($Batch.ContextTokens)/$($Batch.ContextTokenLimit) clears=$($Batch.ContextClears)"
            "checkpoints=$($Batch.CheckpointCount) last=$(& $t $Batch.LastCheckpointAt) created=$(& $t $Batch.CreatedAt) updated=$(& $t $Batch.UpdatedAt)"
            "depends=$(($Batch.DependsOn.GetEnumerator() | ForEach-Object { "$($_.Key)<-$($_.Value -join '+')" }) -join ';')"
        )
        foreach ($f in $Batch.Features) {
            $lines += "$($f.Index) $($f.Feature) $($f.Status) attempts=$($f.Attempts) error='$($f.LastError)' permanent=$($f.Permanent) completed=$(& $t $f.CompletedAt) updated=$(& $t $f.UpdatedAt) retry=$(& $t $f.RetryAt) depends=$($f.DependsOn -join '+') data=$($f.Data | ConvertTo-Json -Compress -Depth 5)"
        }
        $lines -join "`n"
    }

    $work = Split-Path -Parent (New-TestStateDirectory -NoCreate)
}

AfterAll {
    if ($database) {
        try { $null = Invoke-PgSql $admin "DROP DATABASE IF EXISTS $database WITH (FORCE)" } catch { Write-Warning "Could not drop the test database $database`: $_" }
    }
    if ($env:STATECMDLETS_TEST_PG_STARTED_HERE) {
        & (Join-Path $PSScriptRoot '../Stop-TestPostgres.ps1') -Cluster $env:STATECMDLETS_TEST_PG_CLUSTER
        foreach ($name in 'STATECMDLETS_TEST_PG', 'STATECMDLETS_TEST_PG_CLUSTER', 'STATECMDLETS_TEST_PG_STARTED_HERE') { [Environment]::SetEnvironmentVariable($name, $null) }
    }
    Remove-TestStateDirectory
}

Describe 'PostgreSQL: the batch cmdlets' -Skip:$noServer {
    BeforeEach {
        $store = New-TestStore
        $d = New-TestStateDirectory
    }
    AfterEach { Remove-TestStateDirectory $d }

    It 'New-BatchState makes the batch in the database; Get-BatchState shows it with its Store, and no password anywhere' {
        $b = 'a', 'b', 'c' | New-BatchState -Name 'pg demo' -BatchId demo -Store $store
        $b.Store | Should -BeLike "postgresql://*:$pgPort/$database`?schema=t_*"
        $b.StateDirectory | Should -BeNullOrEmpty
        $b.Path | Should -Be "$($b.Store)#demo"
        $b.Features[0].Store | Should -Be $b.Store
        $got = Get-BatchState -BatchId demo -Store $store -ErrorAction Stop
        $got.Total | Should -Be 3
        $got.Status | Should -Be 'Pending'
        ($got | ConvertTo-Json -Depth 10) | Should -Not -Match ([regex]::Escape($adminPassword))
        @(Get-ChildItem -LiteralPath $d -Force).Count | Should -Be 0 -Because 'nothing is written to a folder'
    }

    It 'New-BatchState -WhatIf makes nothing; an existing id is BatchAlreadyExists; -Force replaces it' {
        $null = New-BatchState -Name first -Feature a -BatchId same -Store $store
        $null = New-BatchState -Name whatif -Feature a -BatchId other -Store $store -WhatIf
        Get-BatchState -BatchId other -Store $store -ErrorAction SilentlyContinue -ErrorVariable e | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'
        $null = New-BatchState -Name second -Feature a -BatchId same -Store $store -ErrorAction SilentlyContinue -ErrorVariable e2
        $e2[0].FullyQualifiedErrorId | Should -BeLike 'BatchAlreadyExists,*'
        (New-BatchState -Name third -Feature x, y -BatchId same -Store $store -Force -Confirm:$false).Total | Should -Be 2
        (Get-BatchState -BatchId same -Store $store).Name | Should -Be 'third'
    }

    It 'Get-BatchState: wildcards on names and ids, Where-Object, and BatchNotFound for a literal name' {
        $null = New-BatchState -Name 'Nightly web' -Feature a, b -BatchId nightly-1 -Store $store
        $null = New-BatchState -Name 'Nightly db' -Feature a -BatchId nightly-2 -Store $store
        $null = New-BatchState -Name 'Weekly' -Feature a, b, c -BatchId weekly -Store $store
        @(Get-BatchState 'Nightly*' -Store $store).BatchId | Should -Be @('nightly-1', 'nightly-2')
        @(Get-BatchState 'nightly-*' -Store $store).Count | Should -Be 2
        @(Get-BatchState -Name '*db' -Store $store).BatchId | Should -Be @('nightly-2')
        @(Get-BatchState -Store $store | Where-Object Total -GT 1 | ForEach-Object BatchId) | Should -Be @('nightly-1', 'weekly')
        $null = Get-BatchState -Name 'Monthly' -Store $store -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'
    }

    It 'Resume-BatchState hands out claimed features; piped into Set-FeatureResult they record there, with their data' {
        $null = 1..5 | ForEach-Object { "item-$_" } | New-BatchState -Name work -BatchId work -Store $store
        Resume-BatchState -BatchId work -Store $store | ForEach-Object {
            $_.ClaimToken | Should -BeGreaterThan 0
            $_.Store | Should -Not -BeNullOrEmpty
            $_ | Set-FeatureResult -Status Completed -Data @{ Name = $_.Feature; Size = 42; Tags = @('x', 'y') }
        }
        $b = Get-BatchState -BatchId work -Store $store
        $b.Status | Should -Be 'Completed'
        $b.InProgress | Should -Be 0
        $b.Features[2].Data.Name | Should -Be 'item-3'
        $b.Features[2].Data.Tags | Should -Be @('x', 'y')
        @($b.Features | Where-Object Attempts -NE 1) | Should -BeNullOrEmpty
    }

    It 'a result whose claim was lost is ClaimLost; a failure for a completed feature is FeatureAlreadyCompleted' {
        $null = New-BatchState -Name claims -Feature k1 -BatchId claims -Store $store
        $first = Resume-BatchState -BatchId claims -Store $store | Select-Object -First 1
        $first | Set-FeatureResult -Status Failed -ErrorMessage 'first try'
        # Handed out again (a retry): a new claim, with a higher fencing token.
        $second = Resume-BatchState -BatchId claims -Store $store | Select-Object -First 1
        $second.ClaimToken | Should -BeGreaterThan $first.ClaimToken
        $first | Set-FeatureResult -Status Completed -ErrorAction SilentlyContinue -ErrorVariable lost
        $lost[0].FullyQualifiedErrorId | Should -BeLike 'ClaimLost,*'
        $second | Set-FeatureResult -Status Completed
        Set-FeatureResult -BatchId claims -Feature k1 -Status Failed -Store $store -ErrorAction SilentlyContinue -ErrorVariable done
        $done[0].FullyQualifiedErrorId | Should -BeLike 'FeatureAlreadyCompleted,*'
        $k1 = (Get-BatchState -BatchId claims -Store $store).Features[0]
        $k1.Status | Should -Be 'Completed'
        $k1.Attempts | Should -Be 2
    }

    It 'Resume-BatchState -WhatIf and -NoClaim claim nothing' {
        $null = New-BatchState -Name look -Feature a, b -BatchId look -Store $store
        $null = Resume-BatchState -BatchId look -Store $store -WhatIf
        @(Resume-BatchState -BatchId look -Store $store -NoClaim).Feature | Should -Be @('a', 'b')
        @((Get-BatchState -BatchId look -Store $store).Features | Where-Object ClaimedBy) | Should -BeNullOrEmpty
    }

    It '$env:STATECMDLETS_STORE names the database for every cmdlet; -StateDirectory on the command line wins over it, -Store over both' {
        $saved = $env:STATECMDLETS_STORE
        try {
            $env:STATECMDLETS_STORE = $store
            $null = New-BatchState -Name from-env -Feature a -BatchId from-env
            (Get-BatchState -BatchId from-env).Store | Should -BeLike 'postgresql://*'
            $null = New-BatchState -Name in-folder -Feature a -BatchId in-folder -StateDirectory $d
            Join-Path $d 'in-folder.json' | Should -Exist
            Get-BatchState -BatchId in-folder -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $env:STATECMDLETS_STORE = 'Host=nothing.invalid;Database=none;Username=nobody'
            (Get-BatchState -BatchId from-env -Store $store).Name | Should -Be 'from-env'
            # A piped object's store wins over the variable too.
            $fromFolder = Get-BatchState -BatchId in-folder -StateDirectory $d
            $fromFolder | Checkpoint-BatchState -PassThru | ForEach-Object CheckpointCount | Should -Be 1
        }
        finally { $env:STATECMDLETS_STORE = $saved }
    }

    It 'piped objects take their database to Checkpoint-, Reset-, Test-, Repair- and Remove-BatchState and Invoke-StateMigration' {
        $b = New-BatchState -Name piped -Feature a, b -BatchId piped -Store $store
        ($b | Checkpoint-BatchState -PassThru).CheckpointCount | Should -Be 1
        ($b | Reset-BatchContext -PassThru).ContextClears | Should -Be 1
        $b | Test-BatchState -Quiet | Should -BeTrue
        @($b | Test-BatchState) | Should -BeNullOrEmpty
        $report = $b | Repair-BatchState -Confirm:$false
        $report.Recovered | Should -BeTrue
        @($report.Problems) | Should -BeNullOrEmpty
        $migrated = $b | Invoke-StateMigration -Force
        "$($migrated.Action)" | Should -Be 'UpToDate'
        "$((Invoke-StateMigration -Store $store -Force).Action)" | Should -Be 'UpToDate'
        $b | Remove-BatchState -WhatIf
        (Get-BatchState -BatchId piped -Store $store).Total | Should -Be 2
        $b | Remove-BatchState -Confirm:$false
        $null = Get-BatchState -BatchId piped -Store $store -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'
    }

    It 'Test-BatchState reports rows changed by hand; Repair-BatchState reports them and changes nothing' {
        $null = New-BatchState -Name damaged -Feature a, b -BatchId damaged -Store $store
        $schema = ($store -split 'Search Path=')[1]
        $null = Invoke-PgSql $dbConnection "UPDATE $schema.batch SET total = total + 1 WHERE batch_id = 'damaged'"
        Test-BatchState -BatchId damaged -Store $store -Quiet | Should -BeFalse
        $problems = @(Test-BatchState -BatchId damaged -Store $store)
        "$($problems.Kind)" | Should -Be 'SchemaViolation'
        $problems[0].Path | Should -BeLike 'postgresql://*#damaged'
        $report = Repair-BatchState -BatchId damaged -Store $store -Confirm:$false -WarningAction SilentlyContinue
        @($report.Problems).Count | Should -Be 1
        @($report.Lost).Count | Should -BeGreaterThan 0
        Invoke-PgSql $dbConnection "SELECT total FROM $schema.batch WHERE batch_id = 'damaged'" | Should -Be 3
    }

    It 'Import-BatchState: an autonomous-dev file and an exported BatchState become batches in the database' {
        $origin = (Resolve-Path (Join-Path $PSScriptRoot '../StateCmdlets.Core.Tests/Fixtures/autonomous-dev/origin-mixed-1.json')).ProviderPath
        $inDb = Import-BatchState -LiteralPath $origin -BatchId mixed -Store $store
        $inFolder = Import-BatchState -LiteralPath $origin -BatchId mixed -StateDirectory $d
        $inDb.Store | Should -BeLike 'postgresql://*'
        (Get-Projection (Get-BatchState -BatchId mixed -Store $store)) | Should -Be (Get-Projection $inFolder)
        $export = Join-Path $d 'export.json'
        $inDb | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $export -Encoding utf8
        $again = Import-BatchState -LiteralPath $export -BatchId mixed-again -Store $store
        $again.Completed | Should -Be $inDb.Completed
        $again.Failed | Should -Be $inDb.Failed
    }

    It 'Copy-BatchState: a folder to the database and back keeps results, attempts, errors, data, retries, dependencies and settings' {
        $null = New-BatchState -Name 'to copy' -Feature a, b, c, d -BatchId moving -StateDirectory $d -MaxAttempts 5 -RetryDelay 60 -MaxRetryDelay 600 `
            -DependsOn @{ c = 'a' } -LeaseSeconds 90 -PermanentErrorType 'System.IO.IOException' -MaxConsecutiveFailures 7 -ContextTokenLimit 1000
        Set-FeatureResult -BatchId moving -Feature a -Status Completed -Data @{ Size = 42; Tags = @('x') } -ContextTokens 300 -StateDirectory $d
        Set-FeatureResult -BatchId moving -Feature b -Status Failed -ErrorMessage 'host unreachable' -StateDirectory $d
        Set-FeatureResult -BatchId moving -Feature d -Status Skipped -ErrorMessage 'not needed' -StateDirectory $d
        $null = Checkpoint-BatchState -BatchId moving -StateDirectory $d
        $null = Reset-BatchContext -BatchId moving -StateDirectory $d
        $original = Get-BatchState -BatchId moving -StateDirectory $d

        $null = Copy-BatchState -BatchId moving -StateDirectory $d -Destination $store -WhatIf
        $null = Get-BatchState -BatchId moving -Store $store -ErrorAction SilentlyContinue -ErrorVariable none
        $none[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'

        $inDb = Copy-BatchState -BatchId moving -StateDirectory $d -Destination $store -PassThru
        $inDb.Store | Should -BeLike 'postgresql://*'
        (Get-Projection (Get-BatchState -BatchId moving -Store $store)) | Should -Be (Get-Projection $original)

        # And back, from piped objects, into another folder.
        $back = Join-Path (Split-Path -Parent $d) 'back'
        $returned = Get-BatchState -BatchId moving -Store $store | Copy-BatchState -Destination $back -PassThru
        $returned.StateDirectory | Should -Be $back
        (Get-Projection (Get-BatchState -BatchId moving -StateDirectory $back)) | Should -Be (Get-Projection $original)

        # Again: the batch is there; -Force replaces it (asking first: it holds results).
        Copy-BatchState -BatchId moving -StateDirectory $d -Destination $store -ErrorAction SilentlyContinue -ErrorVariable exists
        $exists[0].FullyQualifiedErrorId | Should -BeLike 'BatchAlreadyExists,*'
        Set-FeatureResult -BatchId moving -Feature c -Status Completed -StateDirectory $d
        $null = Copy-BatchState -BatchId moving -StateDirectory $d -Destination $store -Force -Confirm:$false
        (Get-BatchState -BatchId moving -Store $store).Completed | Should -Be 2
        Copy-BatchState -BatchId moving -Store $store -Destination $store -ErrorAction SilentlyContinue -ErrorVariable same
        $same[0].FullyQualifiedErrorId | Should -BeLike 'InvalidDestination,*'
    }

    It 'a wrong password or an unknown host is StateStoreUnavailable, quickly, naming the host and nothing secret' {
        $secret = 'Wrong-Secret-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $cases = @(
            @{ Store = Set-ConnectionPart $dbConnection @{ Password = $secret }; Host = $pgHost }
            @{ Store = "Host=nothing.invalid;Database=automation;Username=ops;Password=$secret"; Host = 'nothing.invalid' }
            @{ Store = "postgresql://ops:$secret@nothing.invalid/automation"; Host = 'nothing.invalid' }
        )
        foreach ($case in $cases) {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $null = Get-BatchState -BatchId any -Store $case.Store -ErrorAction SilentlyContinue -ErrorVariable e
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because "$($case.Host) must fail fast"
            $e[0].FullyQualifiedErrorId | Should -BeLike 'StateStoreUnavailable,*'
            $e[0].Exception.Message | Should -Match ([regex]::Escape($case.Host))
            $all = ($e[0] | Format-List * -Force | Out-String) + $e[0].Exception.ToString() + ($e[0] | Out-String)
            $all | Should -Not -Match $secret
            $all | Should -Not -Match ([regex]::Escape($adminPassword))
        }
        # New-BatchState and a copy fail the same way, writing nothing.
        $null = New-BatchState -Name x -Feature a -BatchId x -Store $cases[0].Store -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -BeLike 'StateStoreUnavailable,*'
    }

    It '-Credential gives the user and password; without any, the error says so; PGPASSWORD gives it too (a fresh process)' {
        $noPassword = Set-ConnectionPart $store @{ Password = $null }
        $credential = [pscredential]::new('postgres', (ConvertTo-SecureString $adminPassword -AsPlainText -Force))
        $null = New-BatchState -Name cred -Feature a -BatchId cred -Store $noPassword -Credential $credential
        (Get-BatchState -BatchId cred -Store $noPassword -Credential $credential).Total | Should -Be 1
        $script = Join-Path $work "pgpassword-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -LiteralPath $script -Encoding utf8 -Value @'
param([string] $Module, [string] $Store, [string] $Password)
$ErrorActionPreference = 'Stop'
Import-Module $Module
$failed = try { Get-BatchState -BatchId cred -Store $Store; 'no error' } catch { $_.FullyQualifiedErrorId }
$env:PGPASSWORD = $Password
"$failed|$((Get-BatchState -BatchId cred -Store $Store).Name)"
'@
        $r = Invoke-TestPwsh -ScriptPath $script -ArgumentList @('-Module', $ModuleManifestPath, '-Store', $noPassword, '-Password', $adminPassword) -What 'PGPASSWORD'
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        ($r.StdOut.Trim() -split "`n")[-1] | Should -BeLike 'StateStoreUnavailable,*|cred'
    }

    It 'InvalidStore: a malformed connection string, a schema name the module does not take, -Credential or -Schema with a folder' {
        $cases = @(
            { Get-BatchState -Store 'Host=db1;No Such Keyword=1' }
            { Get-BatchState -Store $store -Schema 'Not-A-Schema' }
            { Get-BatchState -StateDirectory $d -Schema ops }
            { Get-BatchState -StateDirectory $d -Credential ([pscredential]::new('u', (ConvertTo-SecureString 'p' -AsPlainText -Force))) }
        )
        foreach ($case in $cases) {
            $err = $null
            try { & $case } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because "$case must stop"
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidStore*' -Because "$case"
        }
    }

    It 'Invoke-Batch: -Store, -Credential and -Schema name the database; outcomes, retries and -WhatIf as with a folder' {
        $noPassword = Set-ConnectionPart $dbConnection @{ Password = $null }
        $credential = [pscredential]::new('postgres', (ConvertTo-SecureString $adminPassword -AsPlainText -Force))
        $schema = 'ib_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $on = @{ Store = $noPassword; Credential = $credential; Schema = $schema }
        $null = 'a', 'b', 'c' | Invoke-Batch -Name ib-demo @on -WhatIf { $_ }
        $null = Get-BatchState -BatchId ib-demo @on -ErrorAction SilentlyContinue -ErrorVariable none
        $none[0].FullyQualifiedErrorId | Should -BeLike 'BatchNotFound,*'

        $out = 'a', 'b', 'c' | Invoke-Batch -Name ib-demo @on -ThrottleLimit 2 -NoRetryWait -ErrorAction SilentlyContinue -ErrorVariable failed { if ($_ -eq 'b') { throw 'b fails' } "done $_" }
        @($out | Sort-Object) | Should -Be @('done a', 'done c')
        @($failed | Where-Object { $_.FullyQualifiedErrorId -like 'FeatureFailed*' }).Count | Should -Be 1
        $b = Get-BatchState -BatchId ib-demo @on
        $b.Store | Should -BeLike "postgresql://*?schema=$schema"
        $b.Completed | Should -Be 2
        $b.Failed | Should -Be 1
        ($b.Features | Where-Object Feature -EQ 'a').Data | Should -Be 'done a'
        ($b.Features | Where-Object Feature -EQ 'b').LastError | Should -BeLike 'b fails*'
        ($b.Features | Where-Object Feature -EQ 'b').Attempts | Should -Be 3 -Because 'retried in the run (no retry delay) up to -MaxAttempts'

        # Again, with a new item: an object of a folder's batch (a FeatureState, with its StateDirectory
        # and Store). The batch stays where the command line says; only the new item runs.
        $folderItem = New-BatchState -Name elsewhere -Feature d -BatchId elsewhere -StateDirectory $d | ForEach-Object { $_.Features[0] }
        @('a', 'b', 'c', $folderItem | Invoke-Batch -Name ib-demo @on -Key { if ($_ -is [string]) { $_ } else { $_.Feature } } { "again $($_.Feature)" }) | Should -Be @('again d')
        $after = Get-BatchState -BatchId ib-demo @on
        $after.Total | Should -Be 4
        $after.Completed | Should -Be 3
        (Get-BatchState -BatchId elsewhere -StateDirectory $d).Completed | Should -Be 0
    }

    It 'tab completion lists the database''s batches, from -Store and from $env:STATECMDLETS_STORE' {
        $null = New-BatchState -Name 'Tab one' -Feature f1, f2 -BatchId tab-one -Store $store
        $line = "Get-BatchState -Store '$store' -BatchId tab-"
        @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) | Should -Be @('tab-one')
        $saved = $env:STATECMDLETS_STORE
        try {
            $env:STATECMDLETS_STORE = $store
            $line = 'Set-FeatureResult -BatchId tab-one -Feature '
            @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText) | Should -Be @('f1', 'f2')
        }
        finally { $env:STATECMDLETS_STORE = $saved }
    }
}

Describe 'PostgreSQL: workers in several processes' -Skip:$noServer {
    BeforeAll {
        # The README's resumable loop, one process per "machine": log the item (the side effect
        # that must not happen twice), then record it; -LockTimeout rides out a server restart.
        $workerScript = Join-Path $work 'worker.ps1'
        Set-Content -LiteralPath $workerScript -Encoding utf8 -Value @'
param([string] $Module, [string] $Store, [string] $BatchId, [string] $Log, [string] $Acked, [string] $Ready, [string] $Go, [int] $Milliseconds)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
[IO.File]::WriteAllText($Ready, "$PID")
$clock = [Diagnostics.Stopwatch]::StartNew()
while (-not (Test-Path -LiteralPath $Go)) {
    if ($clock.Elapsed.TotalSeconds -gt 90) { throw 'No go signal within 90 s.' }
    Start-Sleep -Milliseconds 5
}
$env:STATECMDLETS_STORE = $Store
Resume-BatchState -BatchId $BatchId | ForEach-Object {
    [IO.File]::AppendAllText($Log, "$($_.Feature)`n")
    Start-Sleep -Milliseconds $Milliseconds
    $_ | Set-FeatureResult -Status Completed -LockTimeout 60
    [IO.File]::AppendAllText($Acked, "$($_.Feature)`n")
}
'@
        function Start-Workers([int] $Count, [string] $Store, [string] $BatchId, [int] $Milliseconds) {
            $folder = New-Item -ItemType Directory -Path (Join-Path $work ([guid]::NewGuid().ToString('N'))) -Force
            $go = Join-Path $folder 'go'
            $workers = foreach ($k in 1..$Count) {
                $files = @{ Log = Join-Path $folder "log-$k"; Acked = Join-Path $folder "acked-$k"; Ready = Join-Path $folder "ready-$k" }
                $process = Start-TestPwsh -ScriptPath $workerScript -RedirectOutput -ArgumentList @('-Module', $ModuleManifestPath, '-Store', $Store, '-BatchId', $BatchId,
                    '-Log', $files.Log, '-Acked', $files.Acked, '-Ready', $files.Ready, '-Go', $go, '-Milliseconds', "$Milliseconds")
                [pscustomobject]@{ Process = $process; Out = $process.StandardOutput.ReadToEndAsync(); Err = $process.StandardError.ReadToEndAsync(); Log = $files.Log; Acked = $files.Acked; Ready = $files.Ready }
            }
            Wait-Until -TimeoutSeconds 90 -What "all $Count workers to be ready" -Condition {
                foreach ($w in $workers) { if ($w.Process.HasExited) { throw "A worker exited early: $($w.Err.Result)" } }
                @($workers | Where-Object { Test-Path -LiteralPath $_.Ready }).Count -eq $Count
            }
            [IO.File]::WriteAllText($go, 'go')
            $workers
        }

        function Wait-Workers($Workers) {
            foreach ($w in $Workers) { Wait-TestProcess -Process $w.Process -TimeoutSeconds 180 -What 'worker' }
            foreach ($w in $Workers) { $w.Process.ExitCode | Should -Be 0 -Because "$($w.Err.Result)$($w.Out.Result)" }
        }
    }

    It 'four processes on one batch: every item is done exactly once' {
        $store = New-TestStore
        $null = 1..160 | ForEach-Object { 'srv-{0:000}' -f $_ } | New-BatchState -Name 'four workers' -BatchId four -Store $store
        $workers = Start-Workers -Count 4 -Store $store -BatchId four -Milliseconds 10
        try { Wait-Workers $workers } finally { foreach ($w in $workers) { if (-not $w.Process.HasExited) { $w.Process.Kill($true) } } }
        $started = @(foreach ($w in $workers) { Read-LogLines $w.Log })
        @($started | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name) | Should -BeNullOrEmpty -Because 'no item may be handed to two workers'
        $started.Count | Should -Be 160
        @($workers | Where-Object { @(Read-LogLines $_.Log).Count -eq 0 }) | Should -BeNullOrEmpty -Because 'every worker takes a share'
        $b = Get-BatchState -BatchId four -Store $store
        $b.Completed | Should -Be 160
        @($b.Features | Where-Object Attempts -NE 1) | Should -BeNullOrEmpty
    }

    It 'a worker killed with SIGKILL: its items stay claimed until the lease runs out, then another worker does them' -Skip:(-not $IsLinux) {
        $store = New-TestStore
        $null = New-BatchState -Name killed -Feature k1, k2, k3, k4 -BatchId killed -Store $store -LeaseSeconds 6
        $started = Join-Path $work "victim-$([guid]::NewGuid().ToString('N'))"
        $victimScript = "$started.ps1"
        Set-Content -LiteralPath $victimScript -Encoding utf8 -Value @'
param([string] $Module, [string] $Store, [string] $Started)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
Resume-BatchState -BatchId killed -Store $Store | ForEach-Object {
    [IO.File]::WriteAllText($Started, $_.Feature)
    Start-Sleep -Seconds 300
}
'@
        # Its parent never reaps it: killed, its process id stays (a zombie), so to the claim logic it
        # may be alive, as a worker on another machine would be; only the lease frees its items.
        $victim = Start-UnreapedPwsh -ScriptPath $victimScript -ArgumentList @('-Module', $ModuleManifestPath, '-Store', $store, '-Started', $started)
        try {
            Wait-Until -TimeoutSeconds 90 -What 'the victim to start its first item' -Condition {
                if (Test-ProcessGone $victim.Id) { throw "The victim exited early: $(Get-Content -Raw $victim.Log)" }
                Test-Path -LiteralPath $started
            }
            $held = @((Get-BatchState -BatchId killed -Store $store).Features | Where-Object { $_.ClaimedBy -like "*/$($victim.Id)/*" } | ForEach-Object Feature)
            $held | Should -Contain 'k1'
            & kill -s KILL $victim.Id
            Wait-Until -TimeoutSeconds 10 -What 'the victim to die' -Condition { (Get-ProcessState $victim.Id) -eq 'Z' }
            $killedAt = [DateTime]::UtcNow

            # At once: the other items, never the victim's.
            $first = @(Resume-BatchState -BatchId killed -Store $store | ForEach-Object { $_ | Set-FeatureResult -Status Completed -PassThru } | ForEach-Object Feature)
            ([DateTime]::UtcNow - $killedAt).TotalSeconds | Should -BeLessThan 3 -Because 'the check must come well within the 6 s lease'
            foreach ($name in $held) { $first | Should -Not -Contain $name }
            (Get-BatchState -BatchId killed -Store $store).InProgress | Should -Be $held.Count

            # After the lease: the victim's items, to this worker.
            $later = [System.Collections.Generic.List[string]]::new()
            Wait-Until -TimeoutSeconds 30 -What 'the victim''s items to come back' -Condition {
                foreach ($name in @(Resume-BatchState -BatchId killed -Store $store | ForEach-Object { $_ | Set-FeatureResult -Status Completed -PassThru } | ForEach-Object Feature)) { $later.Add($name) }
                $later.Count -ge $held.Count
            }
            ([DateTime]::UtcNow - $killedAt).TotalSeconds | Should -BeGreaterThan 2 -Because 'they come back with the lease, not at once'
            @($later | Sort-Object) | Should -Be @($held | Sort-Object)
            $b = Get-BatchState -BatchId killed -Store $store
            $b.Completed | Should -Be 4
            @($b.Features | Where-Object Attempts -NE 1) | Should -BeNullOrEmpty
        }
        finally { Stop-UnreapedPwsh $victim }
    }

    It 'the server stopped with pg_ctl stop -m immediate mid-run and started again: no acknowledged result is lost, the workers go on' -Skip:$noCluster {
        $store = New-TestStore
        $null = 1..240 | ForEach-Object { "item-$_" } | New-BatchState -Name crash -BatchId crash -Store $store
        $workers = Start-Workers -Count 3 -Store $store -BatchId crash -Milliseconds 20
        try {
            Wait-Until -TimeoutSeconds 90 -What 'the first 30 acknowledged results' -Condition { @(foreach ($w in $workers) { Read-LogLines $w.Acked }).Count -ge 30 }
            & (Join-Path $PSScriptRoot '../Stop-TestPostgres.ps1') -Cluster $cluster -Mode immediate -Keep
            $beforeCrash = @(foreach ($w in $workers) { Read-LogLines $w.Acked })
            Start-Sleep -Seconds 1
            $null = & (Join-Path $PSScriptRoot '../Start-TestPostgres.ps1') -Cluster $cluster
            Wait-Workers $workers
        }
        finally {
            foreach ($w in $workers) { if (-not $w.Process.HasExited) { $w.Process.Kill($true) } }
            # Never leave the run without its server.
            if (-not (Test-Path -LiteralPath (Join-Path $cluster 'data/postmaster.pid'))) { $null = & (Join-Path $PSScriptRoot '../Start-TestPostgres.ps1') -Cluster $cluster }
        }
        $beforeCrash.Count | Should -BeLessThan 240 -Because 'the crash must come in the middle of the run'
        $acked = @(foreach ($w in $workers) { Read-LogLines $w.Acked })
        $b = Get-BatchState -BatchId crash -Store $store
        $completed = @($b.Features | Where-Object Status -EQ 'Completed' | ForEach-Object Feature)
        foreach ($name in $beforeCrash) { $completed | Should -Contain $name -Because 'a result acknowledged before the crash survives it' }
        @($acked | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name) | Should -BeNullOrEmpty
        $acked.Count | Should -Be 240 -Because 'the workers went on after the restart, to the end'
        $b.Completed | Should -Be 240
        @($b.Features | Where-Object Attempts -NE 1) | Should -BeNullOrEmpty -Because 'no result was applied twice'
    }

    It 'README "Several machines": the set-up as written, and the one-liner on two machines at once' -Skip:(-not $IsLinux) {
        function Get-ReadmeBlock([string] $Name, [string] $Language) {
            $readme = Get-Content -LiteralPath (Join-Path $PSScriptRoot '../../README.md') -Raw
            $m = [regex]::Match($readme, "<!-- recipe:$($Name):begin -->\s*``````$Language\r?\n(?<code>.*?)``````\s*<!-- recipe:$($Name):end -->", 'Singleline')
            if (-not $m.Success) { throw "README.md has no recipe '$Name'." }
            $m.Groups['code'].Value
        }
        # The README's names, made unique on a shared server; its host, port and server list, this test's.
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $role = "ops_$suffix"; $db = "automation_$suffix"
        $machine = New-Item -ItemType Directory -Path (Join-Path $work "machine-$suffix") -Force
        $servers = Join-Path $machine 'servers.txt'
        $rename = { param($text) $text -replace '\bops\b', $role -replace '\bautomation\b', $db -replace 'db1:5432', "${pgHost}:$pgPort" -replace 'Host=db1', "Host=$pgHost;Port=$pgPort" -replace '/etc/patch/servers\.txt', $servers }

        foreach ($statement in (& $rename (Get-ReadmeBlock 'machines-setup' 'sql')) -split ';' | Where-Object { $_.Trim() }) { $null = Invoke-PgSql $admin $statement }
        try {
            $homeFolder = New-Item -ItemType Directory -Path (Join-Path $work "home-$suffix") -Force
            Set-Content -LiteralPath $servers -Value (1..100 | ForEach-Object { 'srv-{0:000}' -f $_ })
            $modules = Split-Path (Split-Path (Split-Path $ModuleManifestPath))
            $client = Join-Path $machine 'client.ps1'
            Set-Content -LiteralPath $client -Encoding utf8 -Value (& $rename (Get-ReadmeBlock 'machines-client' 'powershell'))
            $recipe = Join-Path $machine 'patch.ps1'
            Set-Content -LiteralPath $recipe -Encoding utf8 -Value ("Import-Module StateCmdlets`n" + (& $rename (Get-ReadmeBlock 'machines' 'powershell')))
            # One file per call (appends to one file from two processes may overwrite each other):
            # <server>~<process id>~<random> in patched/, and <process id>~<random> in machines/ for each item started.
            $patchedFolder = New-Item -ItemType Directory -Path (Join-Path $machine 'patched') -Force
            $machinesFolder = New-Item -ItemType Directory -Path (Join-Path $machine 'machines') -Force
            # Invoke-Patch, a stand-in, from a module (the one-liner's runspaces find it on the module
            # path, as they would a real one). Until the other machine has started an item too, an
            # item waits (up to 60 s), so both work at once however slowly each process starts.
            $standIn = New-Item -ItemType Directory -Path (Join-Path $machine 'modules/PatchStandIn') -Force
            Set-Content -LiteralPath (Join-Path $standIn 'PatchStandIn.psm1') -Encoding utf8 -Value @"
function Invoke-Patch([string] `$ComputerName) {
    [IO.File]::WriteAllText((Join-Path '$machinesFolder' "`$PID~`$([guid]::NewGuid().ToString('N'))"), '')
    `$clock = [Diagnostics.Stopwatch]::StartNew()
    while (@([IO.Directory]::GetFiles('$machinesFolder') | ForEach-Object { ([IO.Path]::GetFileName(`$_) -split '~')[0] } | Sort-Object -Unique).Count -lt 2 -and `$clock.Elapsed.TotalSeconds -lt 60) { Start-Sleep -Milliseconds 20 }
    [IO.File]::WriteAllText((Join-Path '$patchedFolder' "`$ComputerName~`$PID~`$([guid]::NewGuid().ToString('N'))"), '')
    Start-Sleep -Milliseconds 20
}
Export-ModuleMember -Function Invoke-Patch
"@
            # Each "machine": a pwsh with its own HOME (where ~/.pgpass goes; pwsh takes ~ from HOME as
            # it starts, so HOME is set for the child, not in it), StateCmdlets and the stand-in on its module path.
            $wrapper = Join-Path $machine 'machine.ps1'
            Set-Content -LiteralPath $wrapper -Encoding utf8 -Value @"
param([string] `$Step)
`$ErrorActionPreference = 'Stop'
`$env:PSModulePath = '$modules' + [IO.Path]::PathSeparator + '$(Split-Path $standIn)' + [IO.Path]::PathSeparator + `$env:PSModulePath
Remove-Item Env:STATECMDLETS_STORE, Env:PGPASSWORD -ErrorAction Ignore
if (`$Step -eq 'client') { & '$client' } else { & '$recipe' }
"@
            $realHome = $env:HOME
            try {
                $env:HOME = $homeFolder.FullName
                $setup = Invoke-TestPwsh -ScriptPath $wrapper -ArgumentList @('-Step', 'client') -What 'the README client set-up'
                $setup.ExitCode | Should -Be 0 -Because $setup.StdErr
                Get-UnixMode (Join-Path $homeFolder '.pgpass') | Should -Be '600'

                $machines = foreach ($k in 1..2) {
                    $p = Start-TestPwsh -ScriptPath $wrapper -ArgumentList @('-Step', 'run') -RedirectOutput
                    [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
                }
            }
            finally { $env:HOME = $realHome }
            foreach ($m in $machines) { Wait-TestProcess -Process $m.Process -TimeoutSeconds 180 -What 'a machine' }
            foreach ($m in $machines) { $m.Process.ExitCode | Should -Be 0 -Because "$($m.Err.Result)$($m.Out.Result)" }
            $calls = @(Get-ChildItem -LiteralPath $patchedFolder -File | ForEach-Object { , ($_.Name -split '~') })
            $patched = @($calls | ForEach-Object { $_[0] })
            @($patched | Group-Object | Where-Object Count -GT 1 | ForEach-Object Name) | Should -BeNullOrEmpty -Because 'no server is patched twice'
            $patched.Count | Should -Be 100
            @($calls | ForEach-Object { $_[1] } | Sort-Object -Unique).Count | Should -Be 2 -Because 'both machines patch a share'
            $batch = Get-BatchState -BatchId patch-2026-11 -Store "Host=$pgHost;Port=$pgPort;Database=$db;Username=postgres;Password=$adminPassword" -Schema statecmdlets
            $batch.Name | Should -Be 'patch-2026-11'
            $batch.Completed | Should -Be 100
            @($batch.Features | Where-Object Attempts -NE 1) | Should -BeNullOrEmpty
        }
        finally {
            $null = Invoke-PgSql $admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"
            $null = Invoke-PgSql $admin "DROP ROLE IF EXISTS $role"
        }
    }
}
