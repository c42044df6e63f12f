using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Orgstack.Tests.Console;

/// <summary>
/// axe-core (from npm, tests/a11y) run in Chromium on every main console page, light and dark: no serious or critical
/// violation (labels, accessible names, contrast to WCAG AA, ARIA use, landmarks). The page's CSP forbids injected
/// scripts, so these browser contexts bypass CSP; the pages themselves are unchanged.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityBrowserTests(Browser browser, KestrelApp app) : IClassFixture<KestrelApp>
{
    private sealed record Violation(string Id, string Impact, string Help, string[] Nodes);

    private async Task<BrowserSession> OpenAsync(ColorScheme scheme, string name)
    {
        await A11yPackages.EnsureInstalledAsync();
        var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.BaseUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-US",
            TimezoneId = "UTC",
            ColorScheme = scheme,
            BypassCSP = true,
        });
        context.SetDefaultTimeout(45_000);
        context.SetDefaultNavigationTimeout(45_000);
        return new BrowserSession(context, await context.NewPageAsync(), $"{nameof(AccessibilityBrowserTests)}.{name}");
    }

    private static async Task<List<string>> AuditAsync(IPage page, string label)
    {
        await page.AddScriptTagAsync(new() { Path = A11yPackages.AxeScript });
        var json = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const r = await axe.run(document, { resultTypes: ['violations'] });
              return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ')) }));
            }
            """);
        var violations = json.Deserialize<Violation[]>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        return violations.Select(v => $"{label}: [{v.Impact}] {v.Id} — {v.Help} — {string.Join(", ", v.Nodes)}").ToList();
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public async Task EveryMainPage_HasNoSeriousOrCriticalAxeViolation(string theme)
    {
        var owner = $"owner-a11y-{theme}@example.test";
        var org = await app.CreateOrganizationAsync("Accessible Co", owner);
        var ownerUid = await app.WithDbAsync(db => db.Users.Where(u => u.Email == owner).Select(u => u.Uid).SingleAsync());
        var mia = await app.Member(org.Uid, $"mia-a11y-{theme}@example.test").Named("Mia", "Member").LastLogin(DateTimeOffset.UtcNow.AddDays(-2)).AddAsync();
        await app.Member(org.Uid, $"ada-a11y-{theme}@example.test", OrgRole.Admin).Named("Ada", "Admin").AddAsync();
        await app.Member(org.Uid, $"pending-a11y-{theme}@example.test").Pending().AddAsync();
        var stack = await app.AddConsoleStackAsync(org.Uid, "Website", ownerUid, (mia.MembershipUid, "Developer"));

        await using var session = await OpenAsync(theme == "dark" ? ColorScheme.Dark : ColorScheme.Light, $"EveryMainPage_{theme}");
        var page = session.Page;
        var problems = new List<string>();

        await page.GotoAsync("/sign-in");
        problems.AddRange(await AuditAsync(page, "/sign-in"));
        await page.GotoAsync("/forgot-password");
        problems.AddRange(await AuditAsync(page, "/forgot-password"));
        await session.SignInAsync(owner);

        var o = $"/o/{org.Uid}";
        foreach (var path in new[]
                 {
                     o, o + "/users", o + "/users/invite", $"{o}/users/{mia.MembershipUid}", o + "/stacks", $"{o}/stacks?delete={stack.ApiKey}",
                     o + "/organization", o + "/plan", o + "/audit-log", o + "/transfer", "/account/security",
                 })
        {
            await page.GotoAsync(path);
            problems.AddRange(await AuditAsync(page, path));
        }

        // The bulk bar and an open row menu, as a keyboard user meets them.
        await page.GotoAsync(o + "/users");
        await page.GetByLabel("Select Mia Member").CheckAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Selected users" })).ToBeVisibleAsync();
        await page.Locator("summary[aria-label='More options for Ada Admin']").ClickAsync();
        problems.AddRange(await AuditAsync(page, "users with selection and row menu"));

        // A result after an action (post/redirect/get) and the remove confirmation.
        await page.GetByRole(AriaRole.Region, new() { Name = "Selected users" }).GetByRole(AriaRole.Button, new() { Name = "Force sign-out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToBeVisibleAsync();
        problems.AddRange(await AuditAsync(page, "users with a result"));
        await page.GetByLabel("Select Mia Member").CheckAsync();
        await page.GetByRole(AriaRole.Region, new() { Name = "Selected users" }).GetByRole(AriaRole.Button, new() { Name = "Remove…" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alertdialog)).ToBeVisibleAsync();
        problems.AddRange(await AuditAsync(page, "remove confirmation"));

        Assert.True(problems.Count == 0, $"{problems.Count} serious or critical accessibility violations ({theme}):\n" + string.Join("\n", problems));
    }
}
