using System.Collections;
using System.Data.Common;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Orgstack.Core.Data;

/// <summary>
/// A forward-only reader straight over a prepared SQLite statement of <see cref="LeanConnections"/>, for the hot reads.
/// Microsoft.Data.Sqlite pays, per column, a type check before every read and a SafeHandle reference count around every
/// native call (perf: a quarter of a session check's time went to SafeHandle.DangerousAddRef/Release); here the column
/// reads are direct calls on the statement's pointer, without a GC transition, and the statement stays prepared on its
/// connection. Reads only; the lease that owns the statement keeps it alive and disposes it with the connection.
/// Disposing the reader resets the statement, which ends its read transaction.
/// </summary>
public sealed class LeanSqliteReader : DbDataReader
{
    private const int Integer = 1, Float = 2, Text = 3, Blob = 4, Null = 5;

    private readonly sqlite3 connection;
    private readonly sqlite3_stmt statement;
    private readonly IntPtr handle;
    private readonly bool hasRows;
    private bool started;
    private bool done;
    private bool closed;

    internal LeanSqliteReader(sqlite3 connection, sqlite3_stmt statement)
    {
        this.connection = connection;
        this.statement = statement;
        handle = statement.DangerousGetHandle();
        hasRows = Step();
        done = !hasRows;
    }

    private bool Step()
    {
        var rc = raw.sqlite3_step(statement);
        if (rc == raw.SQLITE_ROW) return true;
        if (rc == raw.SQLITE_DONE) return false;
        var message = raw.sqlite3_errmsg(connection).utf8_to_string();
        var extended = raw.sqlite3_extended_errcode(connection);
        raw.sqlite3_reset(statement);
        throw new SqliteException($"SQLite Error {rc}: '{message}'.", rc, extended);
    }

    public override bool Read()
    {
        if (closed) throw new InvalidOperationException("The reader is closed.");
        if (!started)
        {
            started = true;
            return hasRows;
        }
        if (done) return false;
        if (Step()) return true;
        done = true;
        return false;
    }

    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => Read() ? TrueTask : FalseTask;

    private static readonly Task<bool> TrueTask = Task.FromResult(true);
    private static readonly Task<bool> FalseTask = Task.FromResult(false);

    public override int FieldCount => Native.sqlite3_column_count(handle);
    public override bool HasRows => hasRows;
    public override bool IsClosed => closed;
    public override int RecordsAffected => -1;
    public override int Depth => 0;
    public override object this[int ordinal] => GetValue(ordinal);
    public override object this[string name] => GetValue(GetOrdinal(name));

    public override bool IsDBNull(int ordinal) => Native.sqlite3_column_type(handle, ordinal) == Null;

    public override string GetString(int ordinal)
    {
        var text = Native.sqlite3_column_text(handle, ordinal);
        if (text == IntPtr.Zero)
        {
            if (IsDBNull(ordinal)) throw new InvalidCastException($"Column {ordinal} is NULL.");
            return "";
        }
        return Marshal.PtrToStringUTF8(text, Native.sqlite3_column_bytes(handle, ordinal));
    }

    // Integer, real and boolean reads are used on NOT NULL columns, or after IsDBNull, as the lean readers do.
    public override long GetInt64(int ordinal) => Native.sqlite3_column_int64(handle, ordinal);
    public override int GetInt32(int ordinal) => checked((int)Native.sqlite3_column_int64(handle, ordinal));
    public override short GetInt16(int ordinal) => checked((short)Native.sqlite3_column_int64(handle, ordinal));
    public override byte GetByte(int ordinal) => checked((byte)Native.sqlite3_column_int64(handle, ordinal));
    public override bool GetBoolean(int ordinal) => Native.sqlite3_column_int64(handle, ordinal) != 0;
    public override double GetDouble(int ordinal) => Native.sqlite3_column_double(handle, ordinal);
    public override float GetFloat(int ordinal) => (float)Native.sqlite3_column_double(handle, ordinal);
    public override decimal GetDecimal(int ordinal) => decimal.Parse(GetString(ordinal), System.Globalization.CultureInfo.InvariantCulture);
    public override char GetChar(int ordinal) => GetString(ordinal)[0];
    public override Guid GetGuid(int ordinal) => Native.sqlite3_column_type(handle, ordinal) == Blob ? new Guid(GetBlob(ordinal)) : Guid.Parse(GetString(ordinal));
    public override DateTime GetDateTime(int ordinal) => DateTime.Parse(GetString(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    private byte[] GetBlob(int ordinal)
    {
        var blob = Native.sqlite3_column_blob(handle, ordinal);
        var length = Native.sqlite3_column_bytes(handle, ordinal);
        var bytes = new byte[length];
        if (length > 0) Marshal.Copy(blob, bytes, 0, length);
        return bytes;
    }

    public override T GetFieldValue<T>(int ordinal)
    {
        if (typeof(T) == typeof(string)) return (T)(object)GetString(ordinal);
        if (typeof(T) == typeof(long)) return (T)(object)GetInt64(ordinal);
        if (typeof(T) == typeof(int)) return (T)(object)GetInt32(ordinal);
        if (typeof(T) == typeof(bool)) return (T)(object)GetBoolean(ordinal);
        if (typeof(T) == typeof(double)) return (T)(object)GetDouble(ordinal);
        if (typeof(T) == typeof(byte[])) return (T)(object)GetBlob(ordinal);
        if (typeof(T) == typeof(Guid)) return (T)(object)GetGuid(ordinal);
        if (typeof(T) == typeof(short)) return (T)(object)GetInt16(ordinal);
        if (typeof(T) == typeof(byte)) return (T)(object)GetByte(ordinal);
        if (typeof(T) == typeof(float)) return (T)(object)GetFloat(ordinal);
        if (typeof(T) == typeof(decimal)) return (T)(object)GetDecimal(ordinal);
        if (typeof(T) == typeof(object)) return (T)GetValue(ordinal);
        throw new InvalidCastException($"The lean SQLite reader does not read {typeof(T).Name}.");
    }

    public override object GetValue(int ordinal) => Native.sqlite3_column_type(handle, ordinal) switch
    {
        Integer => Native.sqlite3_column_int64(handle, ordinal),
        Float => Native.sqlite3_column_double(handle, ordinal),
        Text => GetString(ordinal),
        Blob => GetBlob(ordinal),
        _ => DBNull.Value,
    };

    public override int GetValues(object[] values)
    {
        var count = Math.Min(values.Length, FieldCount);
        for (var i = 0; i < count; i++) values[i] = GetValue(i);
        return count;
    }

    public override string GetName(int ordinal) => raw.sqlite3_column_name(statement, ordinal).utf8_to_string();

    public override int GetOrdinal(string name)
    {
        for (var i = 0; i < FieldCount; i++)
            if (string.Equals(GetName(i), name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new IndexOutOfRangeException(name);
    }

    public override string GetDataTypeName(int ordinal) => Native.sqlite3_column_type(handle, ordinal) switch
    {
        Integer => "INTEGER", Float => "REAL", Text => "TEXT", Blob => "BLOB", _ => "NULL",
    };

    public override Type GetFieldType(int ordinal) => Native.sqlite3_column_type(handle, ordinal) switch
    {
        Integer => typeof(long), Float => typeof(double), Text => typeof(string), Blob => typeof(byte[]), _ => typeof(object),
    };

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        var blob = GetBlob(ordinal);
        if (buffer is null) return blob.Length;
        var count = (int)Math.Max(0, Math.Min(length, blob.Length - dataOffset));
        Array.Copy(blob, dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        var text = GetString(ordinal);
        if (buffer is null) return text.Length;
        var count = (int)Math.Max(0, Math.Min(length, text.Length - dataOffset));
        text.CopyTo((int)dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override bool NextResult() => false;

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    public override void Close()
    {
        if (closed) return;
        closed = true;
        // Ends the statement's read transaction; the statement stays prepared for the next use.
        raw.sqlite3_reset(statement);
        raw.sqlite3_clear_bindings(statement);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Close();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>Column reads on the statement's pointer: short, non-blocking calls, made without a GC transition.</summary>
    private static class Native
    {
        private const string Library = "e_sqlite3";

        [DllImport(Library), SuppressGCTransition] internal static extern int sqlite3_column_type(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] internal static extern long sqlite3_column_int64(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] internal static extern double sqlite3_column_double(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] internal static extern IntPtr sqlite3_column_text(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] internal static extern IntPtr sqlite3_column_blob(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] internal static extern int sqlite3_column_bytes(IntPtr statement, int column);
        [DllImport(Library), SuppressGCTransition] internal static extern int sqlite3_column_count(IntPtr statement);
    }
}
