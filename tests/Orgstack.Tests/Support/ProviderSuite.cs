using Xunit.Abstractions;

namespace Orgstack.Tests.Support;

/// <summary>
/// A suite that runs once per database provider, each run with its own server: write the tests in an abstract
/// <c>XSuite&lt;TFactory&gt; : ProviderSuite&lt;TFactory&gt;</c>, then declare one class per provider:
/// <code>
/// public sealed class XTests(AppFactory app, ITestOutputHelper output) : XSuite&lt;AppFactory&gt;(app, output);
/// public sealed class XOnPostgresTests(PgAppFactory app, ITestOutputHelper output) : XSuite&lt;PgAppFactory&gt;(app, output);
/// </code>
/// </summary>
public abstract class ProviderSuite<TFactory>(TFactory app, ITestOutputHelper output) : IClassFixture<TFactory>
    where TFactory : AppFactory
{
    protected TFactory App => app;
    protected ITestOutputHelper Output => output;

    /// <summary>"SQLite" or "PostgreSQL", for reports.</summary>
    protected static string Provider { get; } = typeof(PgAppFactory).IsAssignableFrom(typeof(TFactory)) ? "PostgreSQL" : "SQLite";
}
