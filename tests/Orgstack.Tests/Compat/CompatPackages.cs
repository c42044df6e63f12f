using System.Diagnostics;
using System.Security.Cryptography;

namespace Orgstack.Tests.Compat;

/// <summary>
/// The npm side of the compatibility suite: tests/compat with the pinned @contentstack/management SDK and
/// @contentstack/cli. <c>npm ci</c> runs on first use (node_modules is git-ignored) under a cross-process lock file, so
/// parallel test classes or test runs install once. A marker holding the package-lock.json hash says the install is
/// complete and current; a changed lock file reinstalls.
/// </summary>
public static class CompatPackages
{
    private static readonly SemaphoreSlim InProcess = new(1, 1);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);

    public static string Directory { get; } = Locate();

    public static string ScenariosDirectory => Path.Combine(Directory, "scenarios");

    public static string CsdxScript => Path.Combine(Directory, "node_modules", "@contentstack", "cli", "bin", "run.js");

    /// <summary>How long the last install in this process took (null when node_modules was already current).</summary>
    public static TimeSpan? LastInstallDuration { get; private set; }

    public static string Node => Environment.GetEnvironmentVariable("ORGSTACK_NODE") is { Length: > 0 } node ? node : "node";

    public static async Task EnsureInstalledAsync()
    {
        var marker = Path.Combine(Directory, "node_modules", ".orgstack-installed");
        var expected = LockHash();
        if (IsCurrent(marker, expected)) return;

        await InProcess.WaitAsync();
        try
        {
            using var fileLock = await AcquireFileLockAsync(Path.Combine(Directory, ".install.lock"));
            if (IsCurrent(marker, expected)) return;
            var watch = Stopwatch.StartNew();
            var result = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], Directory,
                env => { env["npm_config_update_notifier"] = "false"; }, InstallTimeout);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"npm ci in {Directory} failed ({result.Describe()})");
            await File.WriteAllTextAsync(marker, expected);
            LastInstallDuration = watch.Elapsed;
        }
        finally
        {
            InProcess.Release();
        }
    }

    private static bool IsCurrent(string marker, string expected) =>
        File.Exists(marker) && File.ReadAllText(marker) == expected && File.Exists(CsdxScript);

    private static string LockHash() =>
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Directory, "package-lock.json"))));

    private static async Task<FileStream> AcquireFileLockAsync(string path)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "compat");
            if (File.Exists(Path.Combine(candidate, "package-lock.json"))) return candidate;
        }
        throw new InvalidOperationException("tests/compat/package-lock.json not found above " + AppContext.BaseDirectory);
    }
}
