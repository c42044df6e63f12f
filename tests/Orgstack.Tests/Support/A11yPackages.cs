namespace Orgstack.Tests.Support;

/// <summary>
/// tests/a11y: axe-core from npm, installed with <c>npm ci</c> on first use under a cross-process lock (the same way
/// as the SSO and compatibility packages), for the console's accessibility checks.
/// </summary>
public static class A11yPackages
{
    private static readonly NpmFolder Folder = new("a11y", dir => Path.Combine(dir, "node_modules", "axe-core", "axe.min.js"));

    public static string Directory => Folder.Directory;

    public static string AxeScript => Path.Combine(Directory, "node_modules", "axe-core", "axe.min.js");

    public static Task EnsureInstalledAsync() => Folder.EnsureInstalledAsync();
}
