using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;

namespace Orgstack.Core.Data;

/// <summary>Chooses and configures the database provider from <see cref="OrgstackOptions"/>.</summary>
public static class Database
{
    public static bool IsPostgres(OrgstackOptions options) =>
        options.Database.Provider.Equals("postgres", StringComparison.OrdinalIgnoreCase)
        || options.Database.Provider.Equals("postgresql", StringComparison.OrdinalIgnoreCase);

    public static string SqliteConnectionString(OrgstackOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Database.ConnectionString)) return options.Database.ConnectionString;
        Directory.CreateDirectory(options.DataDirectory);
        return new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(Path.GetFullPath(options.DataDirectory), "orgstack.db"),
            Cache = SqliteCacheMode.Default,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public static void Configure(DbContextOptionsBuilder builder, OrgstackOptions options)
    {
        if (IsPostgres(options))
        {
            var connectionString = options.Database.ConnectionString
                ?? throw new InvalidOperationException("Orgstack:Database:ConnectionString is required for PostgreSQL.");
            builder.UseNpgsql(connectionString);
        }
        else
        {
            SqliteThreading.Configure();
            builder.UseSqlite(SqliteConnectionString(options));
            builder.AddInterceptors(new SqlitePragmas());
        }
        builder.AddInterceptors(new WriteTrackingInterceptor());
    }
}

/// <summary>WAL and a busy timeout on every SQLite connection, so readers never block the writer and writers queue.</summary>
internal sealed class SqlitePragmas : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData) =>
        Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Pooled SQLite connections keep their native handle, and these settings live on the handle: apply them once per
    /// handle rather than on every open (every query used to pay for four pragmas).
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Configured = new();

    internal static void Apply(System.Data.Common.DbConnection connection)
    {
        var handle = (connection as SqliteConnection)?.Handle;
        if (handle is not null && Configured.TryGetValue(handle, out _)) return;
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;";
        command.ExecuteNonQuery();
        if (handle is not null) Configured.AddOrUpdate(handle, Configured);
    }
}

/// <summary>
/// SQLite's process-wide settings, applied once before the first connection opens (SQLite refuses them afterwards, and
/// then simply keeps its defaults). Multi-thread mode: a connection and its statements are used by one thread at a time
/// (ADO.NET connections are not shared between threads, EF's contexts are not, and <see cref="LeanConnections"/> lends
/// each connection to one reader at a time), so SQLite need not take the connection's mutex on every call, which in the
/// default serialized mode it does for each column read (a third of a small read's native time, bench/README.md).
/// Memory statistics are off: they take a global mutex on every allocation.
/// </summary>
public static class SqliteThreading
{
    private static int configured;

    /// <summary>The result of the first call: true when SQLite accepted multi-thread mode.</summary>
    public static bool MultiThread { get; private set; }

    public static void Configure()
    {
        if (Interlocked.Exchange(ref configured, 1) == 1) return;
        SQLitePCL.Batteries_V2.Init();
        MultiThread = SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD) == SQLitePCL.raw.SQLITE_OK;
        if (MultiThread) SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0);
    }
}
