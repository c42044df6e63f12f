using System.Diagnostics;
using System.Security.Cryptography;
using Orgstack.Tests.Compat;

namespace Orgstack.Tests.Support;

/// <summary>
/// A folder under tests/ with a package-lock.json whose packages are installed with <c>npm ci</c> on first use
/// (node_modules is git-ignored), under an in-process semaphore and a cross-process lock file, so parallel test
/// classes or test runs install once. A marker holding the lock file's hash says the install is complete and current;
/// a changed lock file reinstalls. Used by the compatibility suite, the SSO identity providers and the a11y checks.
/// </summary>
public sealed class NpmFolder(string name, Func<string, string>? requiredFile = null)
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);
    private readonly SemaphoreSlim inProcess = new(1, 1);
    private readonly Lazy<string> directory = new(() => Locate(name));

    public string Directory => directory.Value;

    /// <summary>How long the last install in this process took (null when node_modules was already current).</summary>
    public TimeSpan? LastInstallDuration { get; private set; }

    public async Task EnsureInstalledAsync()
    {
        var marker = Path.Combine(Directory, "node_modules", ".orgstack-installed");
        var expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Directory, "package-lock.json"))));
        if (IsCurrent(marker, expected)) return;
        await inProcess.WaitAsync();
        try
        {
            using var fileLock = await AcquireFileLockAsync(Path.Combine(Directory, ".install.lock"));
            if (IsCurrent(marker, expected)) return;
            var watch = Stopwatch.StartNew();
            var result = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], Directory,
                env => { env["npm_config_update_notifier"] = "false"; }, InstallTimeout);
            if (result.ExitCode != 0) throw new InvalidOperationException($"npm ci in {Directory} failed ({result.Describe()})");
            await File.WriteAllTextAsync(marker, expected);
            LastInstallDuration = watch.Elapsed;
        }
        finally
        {
            inProcess.Release();
        }
    }

    private bool IsCurrent(string marker, string expected) =>
        File.Exists(marker) && File.ReadAllText(marker) == expected && (requiredFile is null || File.Exists(requiredFile(Directory)));

    private static async Task<FileStream> AcquireFileLockAsync(string path)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(250); }
        }
    }

    private static string Locate(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", name);
            if (File.Exists(Path.Combine(candidate, "package-lock.json"))) return candidate;
        }
        throw new InvalidOperationException($"tests/{name}/package-lock.json not found above " + AppContext.BaseDirectory);
    }
}
