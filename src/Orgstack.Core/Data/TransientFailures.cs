using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Orgstack.Core.Data;

/// <summary>
/// Recognises a lost database connection (a backend terminated by an operator or a failover, a reset socket, a server
/// that is restarting) and tracks whether a unit of work has sent anything but a read, so a caller can decide whether
/// repeating the work is safe: work that never sent a write cannot have applied anything, whatever the failure.
/// </summary>
public static class TransientFailures
{
    private static readonly AsyncLocal<WriteFlag?> Current = new();

    /// <summary>True when the exception (or one it wraps) is a broken or refused connection rather than an answer.</summary>
    public static bool IsConnectionLoss(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                // 57P01 admin_shutdown (pg_terminate_backend), 57P02 crash_shutdown, 57P03 cannot_connect_now,
                // class 08 connection exceptions, 53300 too_many_connections.
                case PostgresException pg when pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
                                               || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState == "53300":
                    return true;
                case PostgresException:
                    return false;
                // An NpgsqlException that is not a PostgresException is an I/O or protocol failure on the connection.
                case NpgsqlException npgsql when npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException:
                    return true;
                case Microsoft.EntityFrameworkCore.Storage.RetryLimitExceededException:
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Drops the idle pooled connections: after a connection loss the others in the pool are usually dead too (an
    /// operator terminated every backend, or the server restarted), and each would fail one more request.
    /// </summary>
    public static void ForgetIdleConnections() => NpgsqlConnection.ClearAllPools();

    /// <summary>Starts tracking writes for the current asynchronous flow (one request).</summary>
    public static WriteFlag Track() => Current.Value = new WriteFlag();

    /// <summary>True when the current flow is tracked and has sent a statement that is not a plain read.</summary>
    internal static bool WroteInThisFlow => Current.Value?.Wrote == true;

    /// <summary>Marks the current flow as having sent a statement that is not a plain read.</summary>
    internal static void NoteCommand(DbCommand command) => NoteSql(command.CommandText);

    /// <summary>The same for a statement sent outside EF's command pipeline (LeanSql's plain commands).</summary>
    internal static void NoteSql(string sql)
    {
        var flag = Current.Value;
        if (flag is null || flag.Wrote) return;
        if (!IsRead(sql)) flag.Wrote = true;
    }

    /// <summary>A statement that starts with SELECT (or a SQLite PRAGMA) changes no row; anything else may.</summary>
    private static bool IsRead(string sql)
    {
        var text = sql.AsSpan().TrimStart();
        return text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase);
    }

    public sealed class WriteFlag
    {
        public bool Wrote { get; internal set; }
    }
}

/// <summary>Tells <see cref="TransientFailures"/> about every command before it is sent.</summary>
internal sealed class WriteTrackingInterceptor : DbCommandInterceptor
{
    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        TransientFailures.NoteCommand(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        TransientFailures.NoteCommand(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        TransientFailures.NoteCommand(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        TransientFailures.NoteCommand(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        TransientFailures.NoteCommand(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        TransientFailures.NoteCommand(command);
        return ValueTask.FromResult(result);
    }
}
