using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Orgstack.Core.Data;

/// <summary>
/// Hot-path reads without EF Core's per-query pipeline, which costs 0.1–0.3 ms a query on a small machine against
/// 10–20 µs for the same statement through ADO.NET (bench/README.md). A command runs on the context's own connection
/// (opened through EF, so the SQLite pragmas apply; it stays open for the rest of the scope and is closed when the
/// context goes back to the pool) and inside the context's transaction if there is one. Rows are read into entities by
/// <see cref="EntityReader{T}"/>, built once per model from EF's own metadata (column names, value converters), so a
/// column added to the model is read here too, on SQLite and PostgreSQL alike. Parameters are written <c>@name</c>
/// (both providers accept it).
/// </summary>
public static class LeanSql
{
    private static readonly ConcurrentDictionary<(IModel Model, string Key), string> Texts = new();

    /// <summary>A command on the context's connection, opened if needed.</summary>
    public static async ValueTask<DbCommand> CommandAsync(OrgstackDbContext db, string sql, CancellationToken ct)
    {
        var facade = db.Database;
        var connection = facade.GetDbConnection();
        if (connection.State != ConnectionState.Open) await facade.OpenConnectionAsync(ct);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = facade.CurrentTransaction?.GetDbTransaction();
        // These commands bypass EF's interceptors: tell the connection-loss handling what they are (a request that
        // wrote must never be run again after a lost connection).
        TransientFailures.NoteSql(sql);
        return command;
    }

    /// <summary>
    /// A read outside any transaction, on SQLite from <see cref="LeanConnections"/>: an open connection whose prepared
    /// statement for this SQL is kept, so neither EF's connection handling nor SQLite's statement compilation is paid
    /// per request (together most of a small read: 190 µs against 7 µs for the statement itself, bench/README.md).
    /// Each execution is its own read transaction and sees every committed write at once. Inside a transaction, on
    /// PostgreSQL, or where no pool is registered, the command runs on the context's connection as
    /// <see cref="CommandAsync"/> does. Add parameters after renting; dispose the read to give the connection back.
    /// </summary>
    public static async ValueTask<LeanRead> ReadAsync(LeanDb db, string sql, CancellationToken ct)
    {
        if (db.Context is not { } context)
        {
            // No context in this scope (ScopedDb.ForRead): there is no transaction, and reads run on kept-open connections.
            var lease = db.Connections!.Rent(db.ConnectionString!);
            return new LeanRead(lease.Command(sql), db.Connections, db.ConnectionString, lease);
        }
        if (context.Database.CurrentTransaction is null && Pool(context) is { Connections: { } connections, ConnectionString: { } connectionString })
        {
            var lease = connections.Rent(connectionString);
            return new LeanRead(lease.Command(sql), connections, connectionString, lease);
        }
        return new LeanRead(await CommandAsync(context, sql, ct), null, null, null);
    }

    /// <summary>A <see cref="LeanDb"/> without a context, for reads on kept-open connections; null where reads do not use them.</summary>
    public static LeanDb? WithoutContext(OrgstackDbContext db) =>
        Pool(db) is { Connections: { } connections, ConnectionString: { } connectionString }
            ? new LeanDb(db.Model, db.IsSqlite, null, connections, connectionString)
            : (LeanDb?)null;

    /// <summary>The kept-open connections for a context's options: none off SQLite, for in-memory databases, or with no pool registered.</summary>
    private sealed record LeanPool(LeanConnections? Connections, string? ConnectionString);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IDbContextOptions, LeanPool> Pools = new();

    // Found once per options (a pooled context's options, provider and connection string never change), not per call.
    private static LeanPool Pool(OrgstackDbContext db)
    {
        var options = Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<IDbContextOptions>(db);
        if (Pools.TryGetValue(options, out var found)) return found;
        return Pools.GetValue(options, o =>
        {
            var connectionString = Microsoft.EntityFrameworkCore.Infrastructure.RelationalOptionsExtension.Extract(o).ConnectionString;
            var usable = db.IsSqlite && connectionString is not null && !connectionString.Contains(":memory:", StringComparison.OrdinalIgnoreCase);
            var connections = o.FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider?.GetService(typeof(LeanConnections)) as LeanConnections;
            return usable && connections is not null ? new LeanPool(connections, connectionString) : new LeanPool(null, null);
        });
    }

    /// <summary>SQL text built once per model (it names columns from the model) and kept.</summary>
    public static string Text(LeanDb db, string key, Func<LeanDb, string> build) =>
        Texts.TryGetValue((db.Model, key), out var text) ? text : Texts.GetOrAdd((db.Model, key), _ => build(db));

    public static void Parameter(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>A time as the provider stores it: Unix milliseconds on SQLite, UTC timestamptz on PostgreSQL.</summary>
    public static object Time(LeanDb db, DateTimeOffset value) =>
        db.IsSqlite ? value.ToUnixTimeMilliseconds() : value.ToUniversalTime();

    /// <summary>"IN (…)" over a list parameter: a JSON array on SQLite, a text[] on PostgreSQL (one parameter either way).</summary>
    public static string InList(LeanDb db, string parameter) =>
        db.IsSqlite ? $"IN (SELECT value FROM json_each({parameter}))" : $"= ANY({parameter})";

    /// <summary>The value of an <see cref="InList"/> parameter.</summary>
    public static object ListValue(LeanDb db, IReadOnlyList<string> values) =>
        db.IsSqlite ? System.Text.Json.JsonSerializer.Serialize(values) : values.ToArray();

    /// <summary>
    /// Writes the entities of the given types that the context holds as Added, type by type in the order given (parents
    /// before children, for the foreign keys), as multi-row INSERT statements inside the context's transaction, then
    /// stops tracking everything. For requests that add thousands of rows at once (a bulk invite), where EF's
    /// SaveChanges sent one statement per row. Columns and value conversions come from the model; store-generated keys
    /// are left to the database. Any other pending change is a bug in the caller and throws before anything is written.
    /// </summary>
    public static async Task InsertAddedAsync(OrgstackDbContext db, CancellationToken ct, params Type[] order)
    {
        var entries = db.ChangeTracker.Entries().ToList();
        var stray = entries.FirstOrDefault(e => e.State != EntityState.Unchanged && (e.State != EntityState.Added || !order.Contains(e.Metadata.ClrType)));
        if (stray is not null) throw new InvalidOperationException($"InsertAddedAsync: {stray.Metadata.ClrType.Name} is {stray.State}, not an Added entity of the given types.");
        if (entries.Any(e => e.State == EntityState.Added)) TransientFailures.NoteSql("INSERT");
        foreach (var type in order)
        {
            var entityType = db.Model.FindEntityType(type) ?? throw new InvalidOperationException($"{type.Name} is not in the model.");
            var rows = entries.Where(e => e.State == EntityState.Added && e.Metadata == entityType).Select(e => e.Entity).ToList();
            if (rows.Count == 0) continue;
            var properties = entityType.GetProperties().Where(p => p.PropertyInfo is not null && p.ValueGenerated == ValueGenerated.Never).ToList();
            // The model's own type mappings build the parameters: value converters applied, and typed even when null
            // (PostgreSQL cannot infer a column's type from a NULL in a multi-row VALUES list).
            var mappings = properties.Select(p => (RelationalTypeMapping)p.GetTypeMapping()).ToArray();
            var getters = properties.Select(p => p.PropertyInfo!).ToArray();
            var head = $"INSERT INTO {entityType.GetTableName()} ({string.Join(", ", properties.Select(p => p.GetColumnName()))}) VALUES ";
            if (db.IsSqlite)
            {
                // SQLite: one prepared single-row statement, executed per row inside the transaction (the fastest way to
                // load rows into SQLite; a multi-row statement binds its parameters by a linear search of their names,
                // n² for n parameters).
                await using var command = await CommandAsync(db, head + "(" + string.Join(", ", properties.Select((_, c) => $"@p{c}")) + ")", ct);
                var parameters = new DbParameter[properties.Count];
                for (var c = 0; c < properties.Count; c++)
                    command.Parameters.Add(parameters[c] = mappings[c].CreateParameter(command, $"@p{c}", null, properties[c].IsNullable));
                await command.PrepareAsync(ct);
                foreach (var entity in rows)
                {
                    for (var c = 0; c < properties.Count; c++)
                        parameters[c].Value = getters[c].GetValue(entity) is { } value ? mappings[c].Converter?.ConvertToProvider(value) ?? value : DBNull.Value;
                    await command.ExecuteNonQueryAsync(ct);
                }
                continue;
            }
            // PostgreSQL: multi-row statements, about 1,000 rows each (under the protocol's 65,535 parameters).
            var perStatement = Math.Max(1, Math.Min(1000, 30_000 / properties.Count));
            for (var start = 0; start < rows.Count; start += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - start);
                var sql = new System.Text.StringBuilder(head.Length + count * properties.Count * 8).Append(head);
                await using var command = await CommandAsync(db, "", ct);
                for (var r = 0; r < count; r++)
                {
                    var entity = rows[start + r];
                    sql.Append(r == 0 ? "(" : ", (");
                    for (var c = 0; c < properties.Count; c++)
                    {
                        var name = $"@p{r * properties.Count + c}";
                        if (c > 0) sql.Append(", ");
                        sql.Append(name);
                        command.Parameters.Add(mappings[c].CreateParameter(command, name, getters[c].GetValue(entity), properties[c].IsNullable));
                    }
                    sql.Append(')');
                }
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync(ct);
            }
        }
        db.ChangeTracker.Clear();
    }

    /// <summary>The reader of an entity type for this context's model.</summary>
    public static EntityReader<T> Reader<T>(LeanDb db) where T : class => EntityReader<T>.For(db.Model);
}

/// <summary>
/// What a lean statement needs of the database: the model (column names, value converters), the provider, and the scope's
/// context when there is one (its connection and transaction). Without a context (<see cref="ScopedDb.ForRead"/>), the read
/// runs on the kept-open connections given here; no context is shared between requests.
/// </summary>
public readonly record struct LeanDb(IModel Model, bool IsSqlite, OrgstackDbContext? Context, LeanConnections? Connections = null, string? ConnectionString = null)
{
    public static implicit operator LeanDb(OrgstackDbContext db) => new(db.Model, db.IsSqlite, db);
}

/// <summary>
/// Reads the mapped properties of <typeparamref name="T"/> from consecutive columns of a data reader, converting each
/// through the model's value converter, as EF would. <see cref="Columns"/> names those columns in the same order.
/// </summary>
public sealed class EntityReader<T> where T : class
{
    private static readonly ConcurrentDictionary<IModel, EntityReader<T>> ByModel = new();

    private readonly string[] _columns;
    private readonly Func<DbDataReader, int, T> _read;

    private EntityReader(IModel model)
    {
        var entityType = model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var properties = entityType.GetProperties().Where(p => p.PropertyInfo is not null).ToList();
        _columns = properties.Select(p => p.GetColumnName()).ToArray();

        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var offset = Expression.Parameter(typeof(int), "offset");
        var entity = Expression.Variable(typeof(T), "entity");
        var body = new List<Expression> { Expression.Assign(entity, Expression.New(typeof(T))) };
        var isDbNull = typeof(DbDataReader).GetMethod(nameof(DbDataReader.IsDBNull), [typeof(int)])!;
        var getFieldValue = typeof(DbDataReader).GetMethod(nameof(DbDataReader.GetFieldValue), [typeof(int)])!;
        for (var i = 0; i < properties.Count; i++)
        {
            var property = properties[i];
            var converter = property.GetTypeMapping().Converter;
            var providerType = converter?.ProviderClrType ?? property.ClrType;
            providerType = Nullable.GetUnderlyingType(providerType) ?? providerType;
            var ordinal = Expression.Add(offset, Expression.Constant(i));
            // The typed getter where there is one: Microsoft.Data.Sqlite's GetFieldValue<T> asks SQLite for the column's
            // type before reading it, one more native call per column (and nullable columns were checked just before).
            Expression value = Expression.Call(reader, TypedGetter(providerType) ?? getFieldValue.MakeGenericMethod(providerType), ordinal);
            if (converter is not null)
            {
                var fromProvider = converter.ConvertFromProviderExpression;
                value = Expression.Invoke(fromProvider, Expression.Convert(value, fromProvider.Parameters[0].Type));
            }
            var target = property.PropertyInfo!;
            value = Expression.Convert(value, target.PropertyType);
            var read = property.IsNullable
                ? Expression.Condition(Expression.Call(reader, isDbNull, ordinal), Expression.Default(target.PropertyType), value)
                : value;
            body.Add(Expression.Assign(Expression.Property(entity, target), read));
        }
        body.Add(entity);
        _read = Expression.Lambda<Func<DbDataReader, int, T>>(Expression.Block([entity], body), reader, offset).Compile();
    }

    private static System.Reflection.MethodInfo? TypedGetter(Type type)
    {
        var name = type == typeof(string) ? nameof(DbDataReader.GetString)
            : type == typeof(long) ? nameof(DbDataReader.GetInt64)
            : type == typeof(int) ? nameof(DbDataReader.GetInt32)
            : type == typeof(bool) ? nameof(DbDataReader.GetBoolean)
            : type == typeof(double) ? nameof(DbDataReader.GetDouble)
            : null;
        return name is null ? null : typeof(DbDataReader).GetMethod(name, [typeof(int)]);
    }

    internal static EntityReader<T> For(IModel model) =>
        ByModel.TryGetValue(model, out var reader) ? reader : ByModel.GetOrAdd(model, m => new EntityReader<T>(m));

    /// <summary>How many columns a row of this entity takes.</summary>
    public int Width => _columns.Length;

    /// <summary>The entity's columns, qualified by a table alias, in the order <see cref="Read"/> expects them.</summary>
    public string Columns(string alias) => string.Join(", ", _columns.Select(c => alias + "." + c));

    public T Read(DbDataReader reader, int offset) => _read(reader, offset);
}

/// <summary>Values of computed columns (EXISTS, booleans) and times as both providers return them.</summary>
public static class LeanValues
{
    /// <summary>A time column: Unix milliseconds on SQLite, timestamptz on PostgreSQL; null for NULL.</summary>
    public static DateTimeOffset? Time(LeanDb db, DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null
        : db.IsSqlite ? DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal))
        : reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static bool Boolean(DbDataReader reader, int ordinal) =>
        reader.GetValue(ordinal) switch
        {
            bool b => b,
            long l => l != 0,
            int i => i != 0,
            _ => false,
        };
}

/// <summary>A command from <see cref="LeanSql.ReadAsync"/>; disposing it gives a pooled connection back.</summary>
public readonly struct LeanRead(DbCommand command, LeanConnections? pool, string? connectionString, LeanConnections.Lease? lease) : IAsyncDisposable
{
    public DbCommand Command { get; } = command;

    /// <summary>
    /// Runs the command. On a kept-open SQLite connection it runs on the lease's prepared statement with a
    /// <see cref="LeanSqliteReader"/>, synchronously, as SQLite always runs (Microsoft.Data.Sqlite's async methods wrap the
    /// same call in a task and a cancellation registration); elsewhere asynchronously.
    /// </summary>
    public ValueTask<DbDataReader> ExecuteReaderAsync(CancellationToken ct) =>
        lease is not null ? ValueTask.FromResult(lease.Execute(Command)) : new ValueTask<DbDataReader>(Command.ExecuteReaderAsync(ct));

    public ValueTask DisposeAsync()
    {
        if (pool is not null)
        {
            pool.Return(connectionString!, lease!);
            return ValueTask.CompletedTask;
        }
        return Command.DisposeAsync();
    }
}

/// <summary>
/// Open SQLite connections for <see cref="LeanSql.ReadAsync"/>, each keeping its prepared statements (a singleton; its
/// connections close when the host stops). Reads only: writes stay on the context's connection and transactions.
/// </summary>
public sealed class LeanConnections : IDisposable
{
    private const int MaxIdle = 32;

    /// <summary>
    /// Idle leases of one database. A ConcurrentBag, whose thread-local lists hand a thread back the connection it used
    /// last (a lock and a stack measured 5 % slower on a single read), with its own count: the bag's Count locks every
    /// list, and it was a seventh of a session check.
    /// </summary>
    private sealed class Idle
    {
        private readonly ConcurrentBag<Lease> leases = [];
        private int count;

        public bool TryTake(out Lease lease)
        {
            if (!leases.TryTake(out lease!)) return false;
            Interlocked.Decrement(ref count);
            return true;
        }

        /// <summary>Keeps the lease unless about <see cref="MaxIdle"/> are idle already (the bound is not exact under races).</summary>
        public bool TryAdd(Lease lease)
        {
            if (Volatile.Read(ref count) >= MaxIdle) return false;
            Interlocked.Increment(ref count);
            leases.Add(lease);
            return true;
        }
    }

    private readonly ConcurrentDictionary<string, Idle> idle = new();
    private volatile bool disposed;

    public sealed class Lease(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> commands = new(SqlTexts.Instance);

        /// <summary>This connection's command for the SQL (prepared on first use), with no parameters.</summary>
        public DbCommand Command(string sql)
        {
            if (commands.TryGetValue(sql, out var command))
            {
                command.Parameters.Clear();
                return command;
            }
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands[sql] = command;
            return command;
        }

        private readonly Dictionary<string, SQLitePCL.sqlite3_stmt?> statements = new(SqlTexts.Instance);

        /// <summary>
        /// Runs a command of this lease: on its statement prepared once on this connection, read by a
        /// <see cref="LeanSqliteReader"/>. A command the raw path does not take (several statements, a parameter of another
        /// type) runs through Microsoft.Data.Sqlite as before.
        /// </summary>
        public DbDataReader Execute(DbCommand command)
        {
            var sql = command.CommandText;
            if (!statements.TryGetValue(sql, out var statement))
            {
                var rc = SQLitePCL.raw.sqlite3_prepare_v3(connection.Handle, sql, SQLitePCL.raw.SQLITE_PREPARE_PERSISTENT, out var prepared, out string tail);
                if (rc == SQLitePCL.raw.SQLITE_OK && string.IsNullOrWhiteSpace(tail)) statement = prepared;
                else prepared?.Dispose();
                statements[sql] = statement;
            }
            if (statement is null || !Bind(statement, command.Parameters))
                return command.ExecuteReader();
            return new LeanSqliteReader(connection.Handle!, statement);
        }

        private static bool Bind(SQLitePCL.sqlite3_stmt statement, DbParameterCollection parameters)
        {
            if (SQLitePCL.raw.sqlite3_bind_parameter_count(statement) != parameters.Count)
                throw new InvalidOperationException("Every parameter of a lean statement must be given a value, and only those.");
            foreach (DbParameter parameter in parameters)
            {
                var index = SQLitePCL.raw.sqlite3_bind_parameter_index(statement, parameter.ParameterName);
                if (index == 0) throw new InvalidOperationException($"The statement has no parameter {parameter.ParameterName}.");
                var rc = parameter.Value switch
                {
                    null or DBNull => SQLitePCL.raw.sqlite3_bind_null(statement, index),
                    string text => SQLitePCL.raw.sqlite3_bind_text(statement, index, text),
                    long number => SQLitePCL.raw.sqlite3_bind_int64(statement, index, number),
                    int number => SQLitePCL.raw.sqlite3_bind_int64(statement, index, number),
                    bool flag => SQLitePCL.raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0),
                    double number => SQLitePCL.raw.sqlite3_bind_double(statement, index, number),
                    _ => -1,
                };
                if (rc != SQLitePCL.raw.SQLITE_OK)
                {
                    SQLitePCL.raw.sqlite3_clear_bindings(statement);
                    return false;
                }
            }
            return true;
        }

        public void Dispose()
        {
            foreach (var statement in statements.Values) statement?.Dispose();
            foreach (var command in commands.Values) command.Dispose();
            connection.Dispose();
        }
    }

    /// <summary>
    /// Keys of the prepared-statement cache. The texts are long (a thousand characters and more) and almost always the
    /// same cached string objects (<see cref="LeanSql.Text"/>): equal by reference first, hashed from the length and a few
    /// characters spread over the text instead of every character on every call.
    /// </summary>
    private sealed class SqlTexts : IEqualityComparer<string>
    {
        public static readonly SqlTexts Instance = new();

        public bool Equals(string? x, string? y) => ReferenceEquals(x, y) || string.Equals(x, y, StringComparison.Ordinal);

        public int GetHashCode(string text)
        {
            var hash = text.Length;
            var step = Math.Max(1, text.Length / 24);
            for (var i = 0; i < text.Length; i += step) hash = hash * 31 + text[i];
            return hash;
        }
    }

    public Lease Rent(string connectionString)
    {
        if (idle.TryGetValue(connectionString, out var leases) && leases.TryTake(out var lease)) return lease;
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        SqlitePragmas.Apply(connection);
        return new Lease(connection);
    }

    public void Return(string connectionString, Lease lease)
    {
        if (disposed || !idle.GetOrAdd(connectionString, _ => new Idle()).TryAdd(lease)) lease.Dispose();
        if (disposed) Dispose();
    }

    public void Dispose()
    {
        disposed = true;
        foreach (var leases in idle.Values)
            while (leases.TryTake(out var lease)) lease.Dispose();
    }
}
