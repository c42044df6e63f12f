using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Orgstack.Tests.Console;

/// <summary>The console in real headless Chromium against the real server on Kestrel. Each test leaves a screenshot.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleBrowserTests(Browser browser, KestrelApp app) : IClassFixture<KestrelApp>
{
    [Fact]
    public async Task SigningIn_AsOwner_ShowsTheOrganizationWithAdministration()
    {
        var org = await app.CreateOrganizationAsync("Acme Publishing", "owner-signin@example.test");
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/");
        await Expect(session.Page).ToHaveURLAsync(app.BaseUrl + "/sign-in");
        await session.SignInAsync("owner-signin@example.test");

        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}");
        await Expect(session.Page.Locator(".topbar")).ToContainTextAsync("Acme Publishing");
        var nav = session.Page.GetByRole(AriaRole.Navigation, new() { Name = "Organization" });
        await Expect(nav).ToContainTextAsync("Administration");
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToBeVisibleAsync();
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Your stacks" })).ToBeVisibleAsync();
        await Expect(session.Page.Locator(".stat", new() { HasText = "Members" })).ToContainTextAsync("1 of 1,000 seats used");
    }

    [Fact]
    public async Task SigningIn_WithWrongPassword_ShowsTheErrorAndKeepsTheEmail()
    {
        await app.CreateOrganizationAsync("Acme", "owner-wrong@example.test");
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/sign-in");
        await session.Page.GetByLabel("Email").FillAsync("owner-wrong@example.test");
        await session.Page.GetByLabel("Password").FillAsync("not the password");
        await session.SnapshotAsync("1-filled");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("email or password is invalid");
        await Expect(session.Page.GetByLabel("Email")).ToHaveValueAsync("owner-wrong@example.test");
        await Expect(session.Page.GetByLabel("Password")).ToHaveValueAsync("");
    }

    [Fact]
    public async Task SigningOut_RevokesTheSession_SoTheOldCookieIsRefused()
    {
        var org = await app.CreateOrganizationAsync("Acme", "owner-signout@example.test");
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-signout@example.test");
        var cookie = (await session.Context.CookiesAsync()).Single(c => c.Name == "orgstack");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, cookie.SameSite);

        await session.Page.Locator("summary.user-button").ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("You have signed out");

        // The stolen or kept cookie is worthless now: the database says the session is revoked.
        await session.Context.AddCookiesAsync([new Cookie { Name = "orgstack", Value = cookie.Value, Url = app.BaseUrl }]);
        await session.Page.GotoAsync($"/o/{org.Uid}/organization");
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/sign-in\\?returnUrl="));
        Assert.True(await app.WithDbAsync(db => db.Sessions.AnyAsync(s => s.UserUid != null && s.RevokedAt != null)));
    }

    [Fact]
    public async Task Member_SeesNoSettings_AndSettingsUrlsAnswer403()
    {
        var org = await app.CreateOrganizationAsync("Acme", "owner-member@example.test");
        var member = await app.Member(org.Uid, "member-browser@example.test").AddAsync();
        var ownerUid = await app.WithDbAsync(db => db.Users.Where(u => u.Email == "owner-member@example.test").Select(u => u.Uid).SingleAsync());
        await app.AddConsoleStackAsync(org.Uid, "Marketing site", ownerUid, (member.MembershipUid, "Content Manager"));
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("member-browser@example.test");

        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Marketing site" })).ToBeVisibleAsync();
        await Expect(session.Page.GetByText("Administration")).ToHaveCountAsync(0);
        await Expect(session.Page.GetByRole(AriaRole.Link, new() { Name = "Users" })).ToHaveCountAsync(0);
        await session.SnapshotAsync("1-member-home");

        foreach (var settings in new[] { "users", "stacks", "organization" })
        {
            var response = await session.Page.GotoAsync($"/o/{org.Uid}/{settings}");
            Assert.Equal(403, response!.Status);
            await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "You don't have access to this page" })).ToBeVisibleAsync();
        }
    }

    [Fact]
    public async Task Member_WithoutStacks_IsToldSo()
    {
        var org = await app.CreateOrganizationAsync("Acme", "owner-nostack@example.test");
        await app.Member(org.Uid, "member-nostack@example.test").AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("member-nostack@example.test");

        await Expect(session.Page.GetByText("You don't have access to any stack yet")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Outsider_OpeningAnotherOrganization_Gets404()
    {
        var org = await app.CreateOrganizationAsync("Secret Org", "owner-secret@example.test");
        await app.CreateOrganizationAsync("Other Org", "owner-other@example.test");
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-other@example.test");

        var response = await session.Page.GotoAsync($"/o/{org.Uid}/organization");

        Assert.Equal(404, response!.Status);
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
        await Expect(session.Page.Locator("body")).Not.ToContainTextAsync("Secret Org");
    }

    [Fact]
    public async Task OrganizationInfo_ShowsNameAndId_WithACopyButton()
    {
        var org = await app.CreateOrganizationAsync("Acme Publishing", "owner-info@example.test");
        await using var session = await browser.OpenAsync(app, this);
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = app.BaseUrl });
        await session.SignInAsync("owner-info@example.test");

        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Organization info" }).ClickAsync();
        await Expect(session.Page.GetByLabel("Organization name")).ToHaveValueAsync("Acme Publishing");
        await Expect(session.Page.GetByLabel("Organization ID")).ToHaveValueAsync(org.Uid);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("copied");
        Assert.Equal(org.Uid, await session.Page.EvaluateAsync<string>("navigator.clipboard.readText()"));
    }

    [Fact]
    public async Task Keyboard_SkipLinkThenSignOutMenu_WorkWithoutAMouse()
    {
        var org = await app.CreateOrganizationAsync("Acme", "owner-keyboard@example.test");
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-keyboard@example.test");
        await session.Page.GotoAsync($"/o/{org.Uid}/organization");

        await session.Page.Keyboard.PressAsync("Tab");
        var skip = session.Page.GetByRole(AriaRole.Link, new() { Name = "Skip to main content" });
        await Expect(skip).ToBeFocusedAsync();
        await Expect(skip).ToBeInViewportAsync();
        await session.Page.Keyboard.PressAsync("Enter");
        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#main$"));

        var menu = session.Page.Locator("summary.user-button");
        await menu.FocusAsync();
        await session.Page.Keyboard.PressAsync("Enter");
        var signOut = session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" });
        await Expect(signOut).ToBeVisibleAsync();
        await session.Page.Keyboard.PressAsync("Escape");
        await Expect(signOut).ToBeHiddenAsync();
        await Expect(menu).ToBeFocusedAsync();
        await session.Page.Keyboard.PressAsync("Enter");
        await signOut.FocusAsync();
        await session.Page.Keyboard.PressAsync("Enter");

        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("You have signed out");
    }

    [Fact]
    public async Task UsersList_InDarkMode_UsesTheDarkPalette()
    {
        var org = await app.CreateOrganizationAsync("Nightly", "owner-dark@example.test");
        await app.Member(org.Uid, "member-dark@example.test", OrgRole.Admin).Named("Dana", "Dark").LastLogin(DateTimeOffset.UtcNow.AddHours(-3)).AddAsync();
        await app.Member(org.Uid, "invited-dark@example.test").Pending().AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.Page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await session.SignInAsync("owner-dark@example.test");

        await session.Page.GotoAsync($"/o/{org.Uid}/users");

        var background = await session.Page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(15, 15, 18)", background);
        await Expect(session.Page.Locator("tbody tr")).ToHaveCountAsync(3);
    }

    [Fact]
    public async Task UserInSeveralOrganizations_SwitchesThroughTheHeader()
    {
        var first = await app.CreateOrganizationAsync("Alpha Media", "owner-switch@example.test");
        var second = await app.CreateOrganizationAsync("Beta Labs", "owner-beta@example.test");
        await app.Member(second.Uid, "owner-switch@example.test", OrgRole.Admin).AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-switch@example.test");
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Your organizations" })).ToBeVisibleAsync();
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Alpha Media" }).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{first.Uid}");

        await session.Page.Locator("summary.org-switcher:has-text('Alpha Media')").ClickAsync();
        await session.SnapshotAsync("1-switcher-open");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Beta Labs" }).ClickAsync();

        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{second.Uid}");
        await Expect(session.Page.Locator(".topbar")).ToContainTextAsync("Beta Labs");
        await session.Page.Locator("summary.org-switcher:has-text('Beta Labs')").ClickAsync();
    }
}

/// <summary>Administration › Users in the browser: sorting, search, paging and the selection bar.</summary>
[Collection(BrowserCollection.Name)]
public sealed class UsersBrowserTests(Browser browser, KestrelApp app) : IClassFixture<KestrelApp>
{
    private async Task<Orgstack.Core.Organizations.Organization> SeedAsync(string owner)
    {
        var org = await app.CreateOrganizationAsync("Acme Publishing", owner);
        var names = new[] { ("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Edsger", "Dijkstra"), ("Barbara", "Liskov"), ("Donald", "Knuth"),
            ("Margaret", "Hamilton"), ("Ken", "Thompson"), ("Radia", "Perlman"), ("Linus", "Torvalds"), ("Frances", "Allen"), ("John", "Backus") };
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < names.Length; i++)
        {
            var (first, last) = names[i];
            await app.Member(org.Uid, $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}@{owner.Split('@')[1]}", i % 4 == 0 ? OrgRole.Admin : OrgRole.Member).Named(first, last).LastLogin(i % 5 == 4 ? null : now.AddMinutes(-17 * i * i - 3)).AddAsync();
        }
        await app.Member(org.Uid, $"new.hire@{owner.Split('@')[1]}").Pending().AddAsync();
        await app.Member(org.Uid, $"contractor@{owner.Split('@')[1]}").Pending().AddAsync();
        return org;
    }

    [Fact]
    public async Task UsersList_SortsByLastLogin_SearchesAndSelects()
    {
        var org = await SeedAsync("olive@users-list.test");
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("olive@users-list.test");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Users", Exact = true })).ToBeVisibleAsync();
        await Expect(session.Page.Locator("#users-count")).ToContainTextAsync("15 users");

        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Last Login At" }).ClickAsync();
        await Expect(session.Page.Locator("th[aria-sort='descending']")).ToContainTextAsync("Last Login At");
        await Expect(session.Page.Locator("tbody tr").First).ToContainTextAsync("Olive Owner");

        await session.Page.GetByLabel("Search by name or email").FillAsync("hopper");
        await session.Page.GetByLabel("Search by name or email").PressAsync("Enter");
        await Expect(session.Page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(session.Page.Locator("tbody tr")).ToContainTextAsync("grace.hopper@users-list.test");

        await session.Page.GotoAsync($"/o/{org.Uid}/users");
        await session.Page.GetByLabel("Select Grace Hopper").CheckAsync();
        await session.Page.GetByLabel("Select Alan Turing").CheckAsync();
        await Expect(session.Page.GetByRole(AriaRole.Region, new() { Name = "Selected users" })).ToContainTextAsync("2 selected");
    }

    [Fact]
    public async Task UsersList_SelectingMoreThanTen_IsCappedAtTen()
    {
        var org = await SeedAsync("olive@users-cap.test");
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("olive@users-cap.test");
        await session.Page.GotoAsync($"/o/{org.Uid}/users");

        await session.Page.GetByLabel("Select users on this page").CheckAsync();

        await Expect(session.Page.Locator("[data-bulk-count]")).ToHaveTextAsync("10");
        await Expect(session.Page.Locator("[data-bulk-note]")).ToContainTextAsync("Limit reached");
        await Expect(session.Page.Locator("input[data-bulk-item]:disabled")).ToHaveCountAsync(4);
    }

    [Fact]
    public async Task UsersList_PagesForwardAndBack_ByEmail()
    {
        var org = await SeedAsync("olive@users-paging.test");
        for (var i = 0; i < 20; i++) await app.Member(org.Uid, $"zz-invitee{i:00}@users-paging.test").Pending().AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("olive@users-paging.test");
        await session.Page.GotoAsync($"/o/{org.Uid}/users?sort=email");
        await session.Page.GetByLabel("Rows per page").SelectOptionAsync("25");
        await Expect(session.Page.Locator("tbody tr")).ToHaveCountAsync(25);
        await Expect(session.Page.Locator("tbody tr").First.Locator(".col-email")).ToHaveTextAsync("ada.lovelace@users-paging.test");

        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Next →" }).ClickAsync();
        await Expect(session.Page.Locator("tbody tr")).ToHaveCountAsync(10);
        await Expect(session.Page.Locator("tbody tr").Last.Locator(".col-email")).ToHaveTextAsync("zz-invitee19@users-paging.test");
        await Expect(session.Page.GetByText("Next →")).ToHaveAttributeAsync("aria-disabled", "true");

        await session.Page.GetByRole(AriaRole.Link, new() { Name = "← Previous" }).ClickAsync();
        await Expect(session.Page.Locator("tbody tr")).ToHaveCountAsync(25);
        await Expect(session.Page.Locator("tbody tr").First.Locator(".col-email")).ToHaveTextAsync("ada.lovelace@users-paging.test");
    }

    [Fact]
    public async Task StacksPage_ListsStacksWithOwnerAndMembers()
    {
        var org = await SeedAsync("olive@stacks-list.test");
        var ownerUid = await app.WithDbAsync(db => db.Users.Where(u => u.Email == "olive@stacks-list.test").Select(u => u.Uid).SingleAsync());
        var grace = await app.WithDbAsync(db => db.Memberships.SingleAsync(m => m.Email == "grace.hopper@stacks-list.test"));
        var alan = await app.WithDbAsync(db => db.Memberships.SingleAsync(m => m.Email == "alan.turing@stacks-list.test"));
        await app.AddConsoleStackAsync(org.Uid, "Marketing website", ownerUid, (grace.Uid, "Content Manager"), (alan.Uid, "Developer"));
        await app.AddConsoleStackAsync(org.Uid, "Mobile app", ownerUid, (alan.Uid, "Admin"));
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("olive@stacks-list.test");

        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Stacks", Exact = true }).ClickAsync();

        var row = session.Page.Locator("tbody tr", new() { HasText = "Marketing website" });
        await Expect(row).ToContainTextAsync("Olive Owner");
        await Expect(row.Locator("td.num")).ToHaveTextAsync("2");
    }
}

/// <summary>First-run setup on an empty database, from the link the server printed at start-up.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SetupBrowserTests(Browser browser, KestrelApp app) : IClassFixture<KestrelApp>
{
    [Fact]
    public async Task SetupLink_CreatesTheFirstOwnerAndOrganization_ThenRefusesToRunAgain()
    {
        var token = app.SetupToken();
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/setup?token=" + Uri.EscapeDataString(token));
        await session.Page.GetByLabel("Organization name").FillAsync("Northwind Media");
        await session.Page.GetByLabel("First name").FillAsync("Nora");
        await session.Page.GetByLabel("Last name").FillAsync("North");
        await session.Page.GetByLabel("Work email").FillAsync("nora@northwind.test");
        await session.Page.GetByLabel("Password").FillAsync("short");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("at least 8 characters");
        await session.SnapshotAsync("1-refused-password");

        await session.Page.GetByLabel("Password").FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();

        await Expect(session.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/o/blt[0-9a-f]{16}$"));
        await Expect(session.Page.Locator(".topbar")).ToContainTextAsync("Northwind Media");
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Nora" })).ToBeVisibleAsync();
        var owner = await app.WithDbAsync(db => db.Memberships.SingleAsync(m => m.Email == "nora@northwind.test"));
        Assert.Equal(OrgRole.Owner, owner.Role);

        await session.Page.GotoAsync("/setup?token=" + Uri.EscapeDataString(token));
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("already set up");
    }
}
