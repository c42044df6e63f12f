using System.Runtime.CompilerServices;
using Orgstack.Core.Data;

namespace Orgstack.Tests.Support;

/// <summary>
/// The tests run SQLite as the server does: its process-wide settings (multi-thread mode) are applied before any test can
/// open a connection, so every test, the concurrency storms included, runs in the server's mode.
/// </summary>
internal static class SqliteSettings
{
    [ModuleInitializer]
    internal static void Apply() => SqliteThreading.Configure();
}
