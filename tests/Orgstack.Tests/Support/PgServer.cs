using System.Diagnostics;
using Npgsql;

namespace Orgstack.Tests.Support;

/// <summary>
/// A fresh PostgreSQL database per test class (use as <c>IClassFixture&lt;PgServer&gt;</c>), on the cluster .ci/run
/// started (TEST_PG_CONNECTION, a superuser) or, without it, on a throwaway cluster this process starts itself
/// (initdb + pg_ctl as the postgres user in a temp dir; stopped with -m immediate when the last user lets go).
/// Each database gets its own login role; both are dropped at the end.
/// </summary>
public sealed class PgServer : IAsyncLifetime
{
    private readonly List<(string Database, string Role)> created = [];
    private string admin = "";

    /// <summary>The fresh database of this fixture, as its own (non-superuser) owner.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        admin = await PgCluster.AcquireAsync();
        ConnectionString = await CreateDatabaseAsync();
    }

    /// <summary>Another fresh, empty database with its own owner role; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("n")[..20];
        var password = Guid.NewGuid().ToString("n");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var role = new NpgsqlCommand($"CREATE ROLE {name} LOGIN CREATEDB PASSWORD '{password}'", connection);
            await role.ExecuteNonQueryAsync();
            await using var db = new NpgsqlCommand($"CREATE DATABASE {name} OWNER {name}", connection);
            await db.ExecuteNonQueryAsync();
        }
        lock (created) created.Add((name, name));
        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name, Username = name, Password = password, MaxPoolSize = 50 };
        return builder.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            foreach (var (database, role) in created)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
                await using var dropRole = new NpgsqlCommand($"DROP ROLE IF EXISTS {role}", connection);
                await dropRole.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            await PgCluster.ReleaseAsync();
        }
    }
}

/// <summary>The PostgreSQL server the tests share: CI's, or one started here on first use.</summary>
internal static class PgCluster
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static int users;
    private static string? adminConnection;
    private static string? workDirectory;
    private static string? binDirectory;

    public static async Task<string> AcquireAsync()
    {
        await Gate.WaitAsync();
        try
        {
            users++;
            if (adminConnection is not null) return adminConnection;
            var fromCi = Environment.GetEnvironmentVariable("TEST_PG_CONNECTION");
            adminConnection = !string.IsNullOrWhiteSpace(fromCi) ? fromCi : await StartAsync();
            return adminConnection;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task ReleaseAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (--users > 0 || workDirectory is null) return;
            Stop();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> StartAsync()
    {
        binDirectory = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderBy(d => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : new Version(0, 0)).LastOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql).");
        workDirectory = Path.Combine(Path.GetTempPath(), "orgstack-pg-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(workDirectory);
        await RunAsync("chmod", ["711", workDirectory]);
        var pg = Path.Combine(workDirectory, "pg");
        Directory.CreateDirectory(pg);
        var password = Guid.NewGuid().ToString("n");
        await File.WriteAllTextAsync(Path.Combine(pg, "pw"), password + "\n");
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", ["-R", "postgres:postgres", pg]);
        var port = TestPorts.Free();
        await RunAsPostgresAsync(asRoot, Path.Combine(binDirectory, "initdb"), ["-D", Path.Combine(pg, "data"), "-U", "postgres", "--pwfile=" + Path.Combine(pg, "pw"),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
        await RunAsPostgresAsync(asRoot, Path.Combine(binDirectory, "pg_ctl"), ["-D", Path.Combine(pg, "data"), "-l", Path.Combine(pg, "log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {pg} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", "start"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        return $"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database=postgres";
    }

    private static void Stop()
    {
        if (workDirectory is null || binDirectory is null) return;
        var data = Path.Combine(workDirectory, "pg", "data");
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            var asRoot = Environment.UserName == "root";
            RunAsPostgresAsync(asRoot, Path.Combine(binDirectory, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
        }
        try { Directory.Delete(workDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        workDirectory = null;
        adminConnection = null;
    }

    private static Task RunAsPostgresAsync(bool asRoot, string program, string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : RunAsync(program, args);

    private static async Task RunAsync(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr} {await stdout}");
    }
}

/// <summary>The real server in memory on its own fresh PostgreSQL database.</summary>
public sealed class PgAppFactory : AppFactory, IAsyncLifetime
{
    private readonly PgServer pg = new();

    public string ConnectionString => pg.ConnectionString;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await pg.InitializeAsync();
        this.OnPostgres(pg.ConnectionString);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await pg.DisposeAsync();
    }
}

public static class PgNodes
{
    /// <summary>Puts a node on a PostgreSQL database (a PgServer's, or another node's); answers the node.</summary>
    public static T OnPostgres<T>(this T node, string connectionString) where T : AppFactory
    {
        node.Settings["Orgstack:Database:Provider"] = "postgres";
        node.Settings["Orgstack:Database:ConnectionString"] = connectionString;
        return node;
    }
}
