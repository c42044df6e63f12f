using System.Security.Cryptography;
using Orgstack.Tests.Compat;

namespace Orgstack.Tests.Support;

/// <summary>
/// tests/a11y: axe-core from npm, installed with <c>npm ci</c> on first use under a cross-process lock (the same way
/// as the SSO and compatibility packages), for the console's accessibility checks.
/// </summary>
public static class A11yPackages
{
    private static readonly SemaphoreSlim InProcess = new(1, 1);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);

    public static string Directory { get; } = Locate();

    public static string AxeScript => Path.Combine(Directory, "node_modules", "axe-core", "axe.min.js");

    public static async Task EnsureInstalledAsync()
    {
        var marker = Path.Combine(Directory, "node_modules", ".orgstack-installed");
        var expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Directory, "package-lock.json"))));
        if (File.Exists(marker) && File.ReadAllText(marker) == expected && File.Exists(AxeScript)) return;
        await InProcess.WaitAsync();
        try
        {
            using var fileLock = await AcquireFileLockAsync(Path.Combine(Directory, ".install.lock"));
            if (File.Exists(marker) && File.ReadAllText(marker) == expected && File.Exists(AxeScript)) return;
            var result = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], Directory,
                env => { env["npm_config_update_notifier"] = "false"; }, InstallTimeout);
            if (result.ExitCode != 0) throw new InvalidOperationException($"npm ci in {Directory} failed ({result.Describe()})");
            await File.WriteAllTextAsync(marker, expected);
        }
        finally
        {
            InProcess.Release();
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(250); }
        }
    }

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "a11y");
            if (File.Exists(Path.Combine(candidate, "package-lock.json"))) return candidate;
        }
        throw new InvalidOperationException("tests/a11y/package-lock.json not found above " + AppContext.BaseDirectory);
    }
}
