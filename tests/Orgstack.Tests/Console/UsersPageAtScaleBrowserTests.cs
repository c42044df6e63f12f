using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Orgstack.Core.Common;
using Orgstack.Core.Seeding;
using Orgstack.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Orgstack.Tests.Console;

/// <summary>
/// The Users page on an organization of 20,000 people (seeded like <c>orgstack seed</c>), driven in Chromium through
/// every sort, deep pages, search, filters and a bulk action, while every SQL statement is recorded and its SQLite
/// plan checked: pages read index ranges in index order (no table scan, no sort of the whole table), a deep page
/// starts at its cursor, and searches and filters are checked inside an index that carries the searched columns.
/// That is what keeps a page flat from 20,000 to a million members; wall time is measured in bench/, never here.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class UsersPageAtScaleBrowserTests(Browser browser, UsersPageAtScaleBrowserTests.Seeded data) : IClassFixture<UsersPageAtScaleBrowserTests.Seeded>
{
    public const int Members = 20_000;

    public sealed class Seeded : IAsyncLifetime
    {
        public KestrelApp App { get; } = new();
        public SeedSummary Seed { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            await using var scope = App.Scope();
            var result = await scope.ServiceProvider.GetRequiredService<SeedOrganization>().HandleAsync(
                new SeedOrganization.Request(Members, "Scale Co", "owner@scale.example.test"), Actor.System("test"), CancellationToken.None);
            Assert.True(result.IsSuccess, result.Error?.Message);
            Seed = result.Value;
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }

    [Fact]
    public async Task UsersPage_At20000Members_ReadsIndexRangesOnly_ForEverySortDeepPageSearchAndFilter()
    {
        var app = data.App;
        using var plans = new ConsoleQueryPlans(Path.Combine(app.DataDirectory, "orgstack.db"));
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync(data.Seed.OwnerEmail, data.Seed.OwnerPassword);
        var page = session.Page;
        var users = $"/o/{data.Seed.OrganizationUid}/users";
        plans.Start();

        await page.GotoAsync(users);
        await Expect(page.Locator("#users-count")).ToContainTextAsync($"{Members + 1:N0} users");
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(50);
        // The browser sees the server's time for the page (navigation timing), as a reviewer would read it.
        Assert.True(await page.EvaluateAsync<bool>("() => performance.getEntriesByType('navigation')[0].serverTiming.some(t => t.name === 'app')"));

        foreach (var column in new[] { "Name", "Email", "Role", "Status", "Last Login At" })
        {
            var header = page.GetByRole(AriaRole.Columnheader, new() { Name = column });
            await header.GetByRole(AriaRole.Link).ClickAsync();
            await Expect(header).Not.ToHaveAttributeAsync("aria-sort", "none");
            var first = await page.Locator("tbody tr").First.InnerTextAsync();
            await header.GetByRole(AriaRole.Link).ClickAsync();
            await Expect(page.Locator("tbody tr").First).Not.ToHaveTextAsync(first);
            // Three pages deep in this order, then one back.
            for (var i = 0; i < 3; i++)
            {
                var top = await page.Locator("tbody tr").First.InnerTextAsync();
                await page.GetByRole(AriaRole.Link, new() { Name = "Next →" }).ClickAsync();
                await Expect(page.Locator("tbody tr").First).Not.ToHaveTextAsync(top);
            }
            await page.GetByRole(AriaRole.Link, new() { Name = "← Previous" }).ClickAsync();
            await Expect(page.Locator("tbody tr")).ToHaveCountAsync(50);
        }

        await page.GotoAsync(users);
        await page.GetByRole(AriaRole.Searchbox).FillAsync("lovelace");
        await page.GetByRole(AriaRole.Searchbox).PressAsync("Enter");
        await Expect(page.Locator("#users-count")).ToContainTextAsync("match your filters");
        await Expect(page.Locator("tbody tr").First).ToContainTextAsync("Lovelace");
        await page.GetByRole(AriaRole.Columnheader, new() { Name = "Last Login At" }).GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Next →" }).ClickAsync();
        await page.GetByRole(AriaRole.Columnheader, new() { Name = "Email" }).GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByRole(AriaRole.Searchbox).FillAsync("nobody-has-this-name");
        await page.GetByRole(AriaRole.Searchbox).PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No users match" })).ToBeVisibleAsync();

        await page.GotoAsync(users);
        await page.GetByLabel("Status").SelectOptionAsync("pending");
        await Expect(page.Locator("#users-count")).ToContainTextAsync("1,000 users match");
        await page.GetByRole(AriaRole.Columnheader, new() { Name = "Last Login At" }).GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(50);
        await page.GotoAsync(users + "?role=admin&sort=email");
        await Expect(page.Locator("tbody tr").First).ToBeVisibleAsync();

        await page.GotoAsync(users);
        var boxes = page.Locator("tbody input[data-bulk-item]");
        await boxes.Nth(0).CheckAsync();
        await boxes.Nth(1).CheckAsync();
        await page.GetByRole(AriaRole.Region, new() { Name = "Selected users" }).GetByRole(AriaRole.Button, new() { Name = "Force sign-out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Force sign-out:");
        plans.Stop();

        // The list reads: the organization's members in some order, or counted (point lookups by email, uid or user are not list reads).
        var reads = plans.Commands.Where(c => c.Sql.Contains("\"memberships\"", StringComparison.Ordinal)
                && c.Sql.Contains("\"m\".\"organization_uid\" = @request_OrganizationUid", StringComparison.Ordinal)
                && (c.Sql.Contains("ORDER BY", StringComparison.Ordinal) || c.Sql.Contains("COUNT(", StringComparison.Ordinal))
                && !Regex.IsMatch(c.Sql, "\"m\".\"(email|uid|user_uid)\" (IN|=) "))
            .ToList();
        Assert.True(reads.Count > 40, $"Only {reads.Count} reads of memberships were recorded.");
        var problems = new List<string>();
        foreach (var read in reads)
        {
            var plan = plans.PlanOf(read);
            var text = string.Join(" | ", plan);
            void Problem(string what) => problems.Add($"{what}: {text}\n    {read.Sql.ReplaceLineEndings(" ")}");
            if (plan.Any(l => l.StartsWith("SCAN", StringComparison.Ordinal))) Problem("table scan");
            if (plan.Any(l => l.Contains("TEMP B-TREE", StringComparison.Ordinal))) Problem("sorts rows instead of reading an index in order");
            var searched = read.Sql.Contains("instr(", StringComparison.Ordinal);
            var filtered = Regex.IsMatch(read.Sql, "\"m\".\"(role|status)\" = ");
            if ((searched || filtered) && !plan.Any(l => l.Contains("COVERING INDEX", StringComparison.Ordinal) || l.Contains("ix_memberships_users_by_", StringComparison.Ordinal)))
                Problem("search or filter reads table rows to check them");
            // A page after a cursor must start at the cursor in the index, not walk up to it.
            var seek = Regex.Match(read.Sql, "\"m\".\"(sort_name|email|last_login_at)\" [<>]= @");
            if (seek.Success && !plan.Any(l => Regex.IsMatch(l, $"{seek.Groups[1].Value}[<>]")))
                Problem("deep page walks from the start");
        }
        Assert.True(problems.Count == 0, $"{problems.Count} of {reads.Count} reads are O(members):\n" + string.Join("\n", problems.Distinct()));
    }
}
