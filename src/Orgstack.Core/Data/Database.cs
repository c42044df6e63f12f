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
