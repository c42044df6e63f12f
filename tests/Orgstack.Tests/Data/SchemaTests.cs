using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Data;

/// <summary>Reads a database's schema as comparable lines: tables, columns (type, nullability), indexes, foreign keys.</summary>
internal static class SchemaReader
{
    public static OrgstackDbContext Context(string provider, string connectionString)
    {
        var options = new OrgstackOptions();
        options.Database.Provider = provider;
        options.Database.ConnectionString = connectionString;
        var builder = new DbContextOptionsBuilder<OrgstackDbContext>();
        Database.Configure(builder, options);
        return new OrgstackDbContext(builder.Options);
    }

    public static async Task<List<string>> ReadAsync(DbConnection connection, bool postgres)
    {
        var lines = new List<string>();
        if (postgres)
        {
            lines.AddRange(await QueryAsync(connection, """
                SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
                       || ' ' || is_nullable || ' identity=' || is_identity || ' default=' || coalesce(column_default, '-')
                FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__EFMigrationsHistory'
                """));
            lines.AddRange(await QueryAsync(connection, """
                SELECT 'index ' || tablename || ' ' || indexdef FROM pg_indexes
                WHERE schemaname = 'public' AND tablename <> '__EFMigrationsHistory'
                """));
            lines.AddRange(await QueryAsync(connection, """
                SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '"__EFMigrationsHistory"'
                """));
        }
        else
        {
            var tables = await QueryAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EFMigrations%'");
            foreach (var table in tables)
            {
                lines.AddRange(await QueryAsync(connection, $"""
                    SELECT 'column {table}.' || name || ' ' || type || ' notnull=' || "notnull" || ' pk=' || pk || ' default=' || coalesce(dflt_value, '-')
                    FROM pragma_table_info('{table}')
                    """));
                lines.AddRange(await QueryAsync(connection, $"""
                    SELECT 'fk {table}.' || "from" || ' -> ' || "table" || '.' || "to" || ' on delete ' || on_delete FROM pragma_foreign_key_list('{table}')
                    """));
                lines.AddRange(await QueryAsync(connection, $"""
                    SELECT 'index {table} ' || name || ' ' || coalesce(sql, 'auto') FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}'
                    """));
                lines.Add("table " + table);
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static async Task<List<string>> QueryAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }
}

public sealed class SqliteSchemaTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "orgstack-schema", Guid.NewGuid().ToString("n"));

    public SqliteSchemaTests() => Directory.CreateDirectory(directory);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(directory, true); } catch (IOException) { }
    }

    [Fact]
    public async Task MigratedSchema_EqualsTheModel_OnSqlite()
    {
        var migrated = $"Data Source={Path.Combine(directory, "migrated.db")}";
        var created = $"Data Source={Path.Combine(directory, "created.db")}";
        await using (var db = SchemaReader.Context("sqlite", migrated)) await db.Database.MigrateAsync();
        await using (var db = SchemaReader.Context("sqlite", created)) await db.Database.EnsureCreatedAsync();

        List<string> fromMigration, fromModel;
        await using (var connection = new SqliteConnection(migrated)) { await connection.OpenAsync(); fromMigration = await SchemaReader.ReadAsync(connection, postgres: false); }
        await using (var connection = new SqliteConnection(created)) { await connection.OpenAsync(); fromModel = await SchemaReader.ReadAsync(connection, postgres: false); }

        Assert.Contains(fromModel, l => l.StartsWith("table outbox_messages", StringComparison.Ordinal));
        Assert.Equal(fromModel, fromMigration);
    }

    [Fact]
    public async Task MigratingTwice_AppliesNothingTheSecondTime_OnSqlite()
    {
        var file = $"Data Source={Path.Combine(directory, "twice.db")}";
        await using (var db = SchemaReader.Context("sqlite", file)) await db.Database.MigrateAsync();
        await using (var db = SchemaReader.Context("sqlite", file))
        {
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            await db.Database.MigrateAsync();
        }
    }
}

public sealed class PostgresSchemaTests : IClassFixture<PgServer>
{
    private readonly PgServer pg;

    public PostgresSchemaTests(PgServer pg) => this.pg = pg;

    [Fact]
    public async Task MigratedSchema_EqualsTheModel_OnPostgres()
    {
        var migrated = await pg.CreateDatabaseAsync();
        var created = await pg.CreateDatabaseAsync();
        await using (var db = SchemaReader.Context("postgres", migrated)) await db.Database.MigrateAsync();
        await using (var db = SchemaReader.Context("postgres", created)) await db.Database.EnsureCreatedAsync();

        List<string> fromMigration, fromModel;
        await using (var connection = new NpgsqlConnection(migrated)) { await connection.OpenAsync(); fromMigration = await SchemaReader.ReadAsync(connection, postgres: true); }
        await using (var connection = new NpgsqlConnection(created)) { await connection.OpenAsync(); fromModel = await SchemaReader.ReadAsync(connection, postgres: true); }

        Assert.Contains(fromModel, l => l.StartsWith("column outbox_messages.locked_until", StringComparison.Ordinal));
        Assert.Contains(fromModel, l => l.Contains("ux_memberships_one_owner", StringComparison.Ordinal));
        Assert.Equal(fromModel, fromMigration);
    }

    [Fact]
    public async Task DateTimeOffsets_AreStoredAsUtcTimestamptz_EvenWhenGivenWithAnOffset_OnPostgres()
    {
        var connection = await pg.CreateDatabaseAsync();
        await using var db = SchemaReader.Context("postgres", connection);
        await db.Database.MigrateAsync();
        var local = new DateTimeOffset(2026, 3, 1, 10, 30, 0, 123, TimeSpan.FromHours(2));
        var org = new Core.Organizations.Organization { Uid = Ids.New(), Name = "Offsets", CreatedAt = local, UpdatedAt = local, PlanExpiresAt = local.AddDays(30) };
        db.Organizations.Add(org);
        await db.SaveChangesAsync();

        await using var fresh = SchemaReader.Context("postgres", connection);
        var back = await fresh.Organizations.AsNoTracking().SingleAsync(o => o.Uid == org.Uid && o.CreatedAt >= local.AddSeconds(-1) && o.CreatedAt <= local);
        Assert.Equal(TimeSpan.Zero, back.CreatedAt.Offset);
        Assert.Equal(local.UtcDateTime, back.CreatedAt.UtcDateTime);
        Assert.Equal(local.AddDays(30).UtcDateTime, back.PlanExpiresAt!.Value.UtcDateTime);
        var type = await fresh.Database.SqlQueryRaw<string>("SELECT data_type AS \"Value\" FROM information_schema.columns WHERE table_name = 'organizations' AND column_name = 'created_at'").SingleAsync();
        Assert.Equal("timestamp with time zone", type);
    }
}
