using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Orgstack.Tests.Support;

/// <summary>
/// Records every SQL command EF Core runs against one SQLite database file (through EF's DiagnosticListener, so the
/// server under test is not changed), then asks SQLite for each one's query plan. Lets a test assert on how a page
/// reads the database (index ranges, no table scans, no sorting of the whole table) instead of on wall time.
/// </summary>
public sealed class ConsoleQueryPlans : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    public sealed record Command(string Sql, IReadOnlyList<(string Name, object? Value)> Parameters);

    private readonly string databasePath;
    private readonly IDisposable allListeners;
    private readonly ConcurrentQueue<IDisposable> subscriptions = new();
    private volatile bool recording;

    public ConcurrentQueue<Command> Commands { get; } = new();

    public ConsoleQueryPlans(string databasePath)
    {
        this.databasePath = Path.GetFullPath(databasePath);
        allListeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

    public void Start()
    {
        Commands.Clear();
        recording = true;
    }

    public void Stop() => recording = false;

    /// <summary>SQLite's plan lines (EXPLAIN QUERY PLAN "detail" column) for one recorded command.</summary>
    public IReadOnlyList<string> PlanOf(Command command)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + command.Sql;
        foreach (var (name, value) in command.Parameters) explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
        using var reader = explain.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read()) lines.Add(reader.GetString(3));
        return lines;
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name) subscriptions.Enqueue(listener.Subscribe(this));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (!recording || value.Key != RelationalEventId.CommandExecuting.Name || value.Value is not CommandEventData data) return;
        if (data.Command.Connection is not SqliteConnection sqlite) return;
        if (!string.Equals(Path.GetFullPath(sqlite.DataSource), databasePath, StringComparison.Ordinal)) return;
        Commands.Enqueue(new Command(data.Command.CommandText,
            data.Command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value)).ToList()));
    }

    void IObserver<DiagnosticListener>.OnCompleted() { }
    void IObserver<DiagnosticListener>.OnError(Exception error) { }
    void IObserver<KeyValuePair<string, object?>>.OnCompleted() { }
    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error) { }

    public void Dispose()
    {
        allListeners.Dispose();
        while (subscriptions.TryDequeue(out var s)) s.Dispose();
    }
}
