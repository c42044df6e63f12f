using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Orgstack.Tests.Console;

/// <summary>
/// Every console action answers its POST with 303 to a GET that shows the result: a reload shows the same result
/// without doing the action again, and Back never reposts. Bulk "Change role" is all or nothing.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PostRedirectGetBrowserTests(Browser browser, KestrelApp app) : IClassFixture<KestrelApp>
{
    private async Task<(Organization Org, string OwnerUid)> OrgAsync(string owner)
    {
        var org = await app.CreateOrganizationAsync("Redirect Co", owner);
        var ownerUid = await app.WithDbAsync(db => db.Users.Where(u => u.Email == owner).Select(u => u.Uid).SingleAsync());
        return (org, ownerUid);
    }

    private Task<int> RoleChangesAsync(string org) =>
        app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrganizationUid == org && e.EventType == "change_roles"));

    [Fact]
    public async Task BulkChangeRole_ChangesEveryone_AndReloadOrBackNeverRepeatsIt()
    {
        var (org, _) = await OrgAsync("owner-prg-role@example.test");
        var ada = await app.Member(org.Uid, "ada-prg-role@example.test").Named("Ada", "Role").AddAsync();
        var bob = await app.Member(org.Uid, "bob-prg-role@example.test").Named("Bob", "Role").AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-prg-role@example.test");
        var page = session.Page;
        await page.GotoAsync($"/o/{org.Uid}/users?sort=email");

        await page.GetByLabel("Select Ada Role").CheckAsync();
        await page.GetByLabel("Select Bob Role").CheckAsync();
        var bar = page.GetByRole(AriaRole.Region, new() { Name = "Selected users" });
        await bar.GetByLabel("New organization role").SelectOptionAsync("admin");
        await bar.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();

        var status = page.GetByRole(AriaRole.Status);
        await Expect(status).ToContainTextAsync("Change role to Admin: 2 of 2 done");
        Assert.Contains("result=", page.Url);
        Assert.DoesNotContain("handler=", page.Url);
        Assert.Contains("sort=email", page.Url);
        Assert.Equal(2, await RoleChangesAsync(org.Uid));
        Assert.All(await app.WithDbAsync(db => db.Memberships.Where(m => m.Uid == ada.MembershipUid || m.Uid == bob.MembershipUid).Select(m => m.Role).ToListAsync()),
            r => Assert.Equal(OrgRole.Admin, r));

        // A reload shows the same result and changes nothing.
        await page.ReloadAsync();
        await Expect(status).ToContainTextAsync("Change role to Admin: 2 of 2 done");
        // Back goes to the list as it was, without a resubmission.
        await page.GoBackAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Exact = true })).ToBeVisibleAsync();
        Assert.DoesNotContain("result=", page.Url);
        Assert.Equal(2, await RoleChangesAsync(org.Uid));
    }

    [Fact]
    public async Task BulkChangeRole_WhenOneSelectedUserIsGone_ChangesNobody_AndSaysWho()
    {
        var (org, _) = await OrgAsync("owner-prg-none@example.test");
        var stay = await app.Member(org.Uid, "stay-prg-none@example.test").Named("Sue", "Stay").AddAsync();
        var gone = await app.Member(org.Uid, "gone-prg-none@example.test").Named("Gil", "Gone").AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-prg-none@example.test");
        var page = session.Page;
        await page.GotoAsync($"/o/{org.Uid}/users");
        await page.GetByLabel("Select Sue Stay").CheckAsync();
        await page.GetByLabel("Select Gil Gone").CheckAsync();
        // Someone else removes Gil while the page is open.
        await app.WithDbAsync(db => db.Memberships.Where(m => m.Uid == gone.MembershipUid).ExecuteDeleteAsync());

        var bar = page.GetByRole(AriaRole.Region, new() { Name = "Selected users" });
        await bar.GetByLabel("New organization role").SelectOptionAsync("admin");
        await bar.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();

        var status = page.GetByRole(AriaRole.Status);
        await Expect(status).ToContainTextAsync("Change role to Admin: nothing changed");
        await Expect(status).ToContainTextAsync("Nobody's role was changed");
        await Expect(status.Locator("li", new() { HasText = "gone-prg-none@example.test" })).ToContainTextAsync("Not found");
        await Expect(status.Locator("li", new() { HasText = "stay-prg-none@example.test" })).ToContainTextAsync("Not changed");
        Assert.Equal(OrgRole.Member, await app.WithDbAsync(db => db.Memberships.Where(m => m.Uid == stay.MembershipUid).Select(m => m.Role).SingleAsync()));
        Assert.Equal(0, await RoleChangesAsync(org.Uid));
    }

    [Fact]
    public async Task EditUser_Save_RedirectsToTheUser_AndAReloadKeepsTheConfirmation()
    {
        var (org, _) = await OrgAsync("owner-prg-edit@example.test");
        var mia = await app.Member(org.Uid, "mia-prg-edit@example.test").Named("Mia", "Edit").AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-prg-edit@example.test");
        var page = session.Page;
        await page.GotoAsync($"/o/{org.Uid}/users/{mia.MembershipUid}");
        await page.GetByRole(AriaRole.Radio, new() { Name = "Admin" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is now an Admin");
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is now an Admin");
        Assert.Equal(1, await RoleChangesAsync(org.Uid));
    }

    [Fact]
    public async Task Actions_AnswerTheirPostWith303_AndAResultOpensOnlyForItsUser()
    {
        var (org, _) = await OrgAsync("owner-prg-http@example.test");
        await app.Member(org.Uid, "admin-prg-http@example.test", OrgRole.Admin).Named("Ann", "Admin").AddAsync();
        await app.Member(org.Uid, "mo-prg-http@example.test").Named("Mo", "Member").AddAsync();
        using var owner = NewClient();
        await owner.SignInAsync("owner-prg-http@example.test");
        var users = $"/o/{org.Uid}/users";

        var response = await owner.SubmitAsync(users, new Dictionary<string, string> { ["Emails"] = "mo-prg-http@example.test", ["BulkAction"] = "sign_out" },
            users + "?handler=bulk");
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith(users + "?result=", location);
        Assert.Contains("Force sign-out: 1 of 1 done", await owner.GetStringAsync(location));

        // The same URL in another admin's browser shows no result (the token is bound to the user who acted).
        using var admin = NewClient();
        await admin.SignInAsync("admin-prg-http@example.test");
        var elsewhere = await admin.GetStringAsync(location);
        Assert.DoesNotContain("Force sign-out: 1 of 1", elsewhere);
        // A tampered token shows nothing either.
        Assert.DoesNotContain("Force sign-out: 1 of 1", await owner.GetStringAsync(location[..^4] + "AAAA"));
    }

    private HttpClient NewClient() => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
    {
        BaseAddress = new Uri(app.BaseUrl),
    };
}
