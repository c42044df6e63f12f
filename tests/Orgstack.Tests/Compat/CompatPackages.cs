namespace Orgstack.Tests.Compat;

/// <summary>
/// The npm side of the compatibility suite: tests/compat with the pinned @contentstack/management SDK and
/// @contentstack/cli. <c>npm ci</c> runs on first use (node_modules is git-ignored) under a cross-process lock file, so
/// parallel test classes or test runs install once. A marker holding the package-lock.json hash says the install is
/// complete and current; a changed lock file reinstalls.
/// </summary>
public static class CompatPackages
{
    private static readonly Support.NpmFolder Folder = new("compat", dir => Path.Combine(dir, "node_modules", "@contentstack", "cli", "bin", "run.js"));

    public static string Directory => Folder.Directory;

    public static string ScenariosDirectory => Path.Combine(Directory, "scenarios");

    public static string CsdxScript => Path.Combine(Directory, "node_modules", "@contentstack", "cli", "bin", "run.js");

    /// <summary>How long the last install in this process took (null when node_modules was already current).</summary>
    public static TimeSpan? LastInstallDuration => Folder.LastInstallDuration;

    public static string Node => Environment.GetEnvironmentVariable("ORGSTACK_NODE") is { Length: > 0 } node ? node : "node";

    public static Task EnsureInstalledAsync() => Folder.EnsureInstalledAsync();
}
