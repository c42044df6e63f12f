using System.Runtime.CompilerServices;
using Microsoft.Playwright;

namespace Orgstack.Tests.Support;

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>
{
    public const string Name = "browser";
}

/// <summary>
/// Debian's headless Chromium driven by Playwright (no browser download: the executable comes from CHROMIUM_PATH or
/// /usr/bin/chromium). One browser for the whole run; each test gets a fresh context (its own cookies).
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? playwright;
    // Short on purpose: Chromium puts a Unix socket in here, and socket paths are limited to 108 bytes.
    private readonly string tempDirectory = Path.Combine(Path.GetTempPath(), "chr-" + Guid.NewGuid().ToString("n")[..8]);

    public IBrowser Chromium { get; private set; } = null!;

    public static string ScreenshotDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("ORGSTACK_SCREENSHOTS");
            if (!string.IsNullOrWhiteSpace(configured)) return configured;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orgstack.Tests.csproj"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
        }
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(tempDirectory);
        playwright = await Playwright.CreateAsync();
        var executable = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
        Chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = string.IsNullOrWhiteSpace(executable) ? "/usr/bin/chromium" : executable,
            Headless = true,
            Args = ChromiumArgs,
            // Chromium leaves its profile folders in TMPDIR: keep them in a folder of our own and delete it afterwards.
            Env = new Dictionary<string, string> { ["TMPDIR"] = tempDirectory },
        });
    }

    public async Task DisposeAsync()
    {
        await Chromium.DisposeAsync();
        playwright?.Dispose();
        try { Directory.Delete(tempDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A fresh browser context on the app; disposing it saves a screenshot of the final page as <c>{Class}.{Test}.png</c>.</summary>
    public async Task<BrowserSession> OpenAsync(KestrelApp app, object test, [CallerMemberName] string testName = "")
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        // Generous: CI runs the browser beside the rest of the suite on two cores.
        context.SetDefaultTimeout(45_000);
        context.SetDefaultNavigationTimeout(45_000);
        var page = await context.NewPageAsync();
        return new BrowserSession(context, page, $"{test.GetType().Name}.{testName}");
    }
}

public sealed class BrowserSession(IBrowserContext context, IPage page, string name) : IAsyncDisposable
{
    public IBrowserContext Context { get; } = context;
    public IPage Page { get; } = page;

    private static readonly System.Text.RegularExpressions.Regex NotSignIn = new("^(?!.*/sign-in)");

    /// <summary>Signs in through the sign-in form and waits for the landing page.</summary>
    public async Task SignInAsync(string email, string password = Scenario.Password)
    {
        await Page.GotoAsync("/sign-in");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Not WaitForURLAsync: it checks the address and then subscribes to navigation events, and can lose an event that
        // arrives in between (playwright-dotnet#3364; a CI run timed out after 45 s on the Home page). The assertion polls.
        await Assertions.Expect(Page).ToHaveURLAsync(NotSignIn, new() { Timeout = 45_000 });
    }

    /// <summary>An extra screenshot of an intermediate page, saved as <c>{Class}.{Test}.{step}.png</c>.</summary>
    public async Task SnapshotAsync(string step)
    {
        Directory.CreateDirectory(Browser.ScreenshotDirectory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Browser.ScreenshotDirectory, $"{name}.{step}.png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Directory.CreateDirectory(Browser.ScreenshotDirectory);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Browser.ScreenshotDirectory, name + ".png"), FullPage = true });
        }
        finally
        {
            await Context.DisposeAsync();
        }
    }
}
