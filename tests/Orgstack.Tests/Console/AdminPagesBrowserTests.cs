using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Orgstack.Core.Audit;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Orgstack.Tests.Console;

/// <summary>Administration pages in real Chromium: invite, edit, bulk actions, export, stacks, plan, audit log. Each test leaves a screenshot.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminPagesBrowserTests(Browser browser, KestrelApp app) : IClassFixture<KestrelApp>
{
    private async Task<(Organization Org, string OwnerUid)> OrgAsync(string owner, string name = "Acme Publishing")
    {
        var org = await app.CreateOrganizationAsync(name, owner);
        var ownerUid = await app.WithDbAsync(db => db.Users.Where(u => u.Email == owner).Select(u => u.Uid).SingleAsync());
        return (org, ownerUid);
    }

    [Fact]
    public async Task Inviting_WithStackRoles_RequiresARole_ThenShowsPerAddressResults_AndQueuesTheMail()
    {
        var (org, ownerUid) = await OrgAsync("owner-invite@example.test");
        var editor = await app.Member(org.Uid, "editor-invite@example.test").AddAsync();
        var stack = await app.AddConsoleStackAsync(org.Uid, "Marketing site", ownerUid, (editor.MembershipUid, "Developer"), (editor.MembershipUid, "Content Manager"));
        await app.AddConsoleStackAsync(org.Uid, "Docs", ownerUid, (editor.MembershipUid, "Developer"));
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-invite@example.test");

        await session.Page.GotoAsync($"/o/{org.Uid}/users");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Invite users" }).ClickAsync();
        await session.Page.GetByLabel("Email addresses").FillAsync("ana-invite@example.test, not-an-address\nli-invite@example.test\neditor-invite@example.test");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Send invitations" }).ClickAsync();

        // No organization role chosen: nothing is sent, and the addresses stay.
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Choose the organization role");
        await Expect(session.Page.GetByLabel("Email addresses")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("ana-invite@example.test"));
        Assert.Null(await app.WithDbAsync(db => db.Memberships.FirstOrDefaultAsync(m => m.Email == "ana-invite@example.test")));

        await session.Page.GetByLabel("Member", new() { Exact = false }).First.CheckAsync();
        await session.Page.GetByText("Stacks and roles").ClickAsync();
        var marketing = session.Page.GetByRole(AriaRole.Group, new() { Name = "Marketing site" });
        await marketing.GetByLabel("Developer").CheckAsync();
        await Expect(session.Page.Locator("[data-stack-count]")).ToHaveTextAsync("1 stack chosen");
        await session.SnapshotAsync("1-filled");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Send invitations" }).ClickAsync();

        var results = session.Page.GetByRole(AriaRole.Status);
        await Expect(results).ToContainTextAsync("2 of 4 addresses invited");
        await Expect(results.Locator("li", new() { HasText = "not-an-address" })).ToContainTextAsync("Not sent");
        await Expect(results.Locator("li", new() { HasText = "editor-invite@example.test" })).ToContainTextAsync("already a member");
        await Expect(results.Locator("li", new() { HasText = "li-invite@example.test" })).ToContainTextAsync("Invited");
        // Only the address that failed stays in the box, ready to correct.
        await Expect(session.Page.GetByLabel("Email addresses")).ToHaveValueAsync("not-an-address");

        var ana = await app.WithDbAsync(db => db.Memberships.SingleAsync(m => m.OrganizationUid == org.Uid && m.Email == "ana-invite@example.test"));
        Assert.Equal(MembershipStatus.Pending, ana.Status);
        Assert.Equal(OrgRole.Member, ana.Role);
        var roles = await app.WithDbAsync(db => db.StackRoleAssignments.Where(a => a.MembershipUid == ana.Uid)
            .Join(db.StackRoles, a => a.RoleUid, r => r.Uid, (a, r) => new { a.StackUid, r.Name }).ToListAsync());
        Assert.Equal(stack.Uid, Assert.Single(roles).StackUid);
        Assert.Equal("Developer", roles[0].Name);
        Assert.True(await app.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.ToAddress == "ana-invite@example.test" && m.Kind == "invitation")));
    }

    [Fact]
    public async Task EditUser_FromTheRowMenu_ChangesTheOrganizationRoleAndStackRoles()
    {
        var (org, ownerUid) = await OrgAsync("owner-edit@example.test");
        var member = await app.Member(org.Uid, "mia-edit@example.test").Named("Mia", "Edit").AddAsync();
        var stack = await app.AddConsoleStackAsync(org.Uid, "Website", ownerUid, (member.MembershipUid, "Developer"));
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-edit@example.test");

        await session.Page.GotoAsync($"/o/{org.Uid}/users");
        var menu = session.Page.Locator("summary[aria-label='More options for Mia Edit']");
        await menu.FocusAsync();
        await session.Page.Keyboard.PressAsync("Enter");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Mia Edit" })).ToBeVisibleAsync();
        await Expect(session.Page.GetByLabel("Developer")).ToBeCheckedAsync();

        await session.Page.GetByRole(AriaRole.Radio, new() { Name = "Admin" }).CheckAsync();
        await session.Page.GetByLabel("Developer").UncheckAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("mia-edit@example.test is now an Admin with roles in 0 stacks");
        Assert.Equal(OrgRole.Admin, await app.WithDbAsync(db => db.Memberships.Where(m => m.Uid == member.MembershipUid).Select(m => m.Role).SingleAsync()));
        Assert.False(await app.WithDbAsync(db => db.StackRoleAssignments.AnyAsync(a => a.MembershipUid == member.MembershipUid && a.StackUid == stack.Uid)));
        Assert.True(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.OrganizationUid == org.Uid && e.EventType == "change_roles" && e.TargetUid == member.MembershipUid)));
    }

    [Fact]
    public async Task BulkUnlock_OfSelectedLockedUsers_UnlocksThemAndShowsEachResult()
    {
        var (org, _) = await OrgAsync("owner-unlock@example.test");
        var locked1 = await app.Member(org.Uid, "locked1-unlock@example.test").Named("Lou", "One").AddAsync();
        var locked2 = await app.Member(org.Uid, "locked2-unlock@example.test").Named("Lou", "Two").AddAsync();
        await app.Member(org.Uid, "fine-unlock@example.test").Named("Fay", "Fine").AddAsync();
        await app.WithDbAsync(db => db.Users.Where(u => u.Uid == locked1.UserUid || u.Uid == locked2.UserUid)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, DateTimeOffset.UtcNow).SetProperty(x => x.FailedAttempts, 5)));
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-unlock@example.test");

        await session.Page.GotoAsync($"/o/{org.Uid}/users");
        await Expect(session.Page.Locator("tr", new() { HasText = "Lou One" }).Locator(".pill-locked")).ToBeVisibleAsync();
        await session.Page.GetByLabel("Select Lou One").CheckAsync();
        await session.Page.GetByLabel("Select Lou Two").CheckAsync();
        await session.Page.GetByLabel("Select Fay Fine").CheckAsync();
        var bar = session.Page.GetByRole(AriaRole.Region, new() { Name = "Selected users" });
        await Expect(bar).ToContainTextAsync("3 selected");
        await session.SnapshotAsync("1-selected");
        await bar.GetByRole(AriaRole.Button, new() { Name = "Unlock" }).ClickAsync();

        var summary = session.Page.GetByRole(AriaRole.Status);
        await Expect(summary).ToContainTextAsync("Unlock: 2 of 3 done");
        await Expect(summary.Locator("li", new() { HasText = "fine-unlock@example.test" })).ToContainTextAsync("was not locked");
        await Expect(session.Page.Locator(".pill-locked")).ToHaveCountAsync(0);
        Assert.False(await app.WithDbAsync(db => db.Users.AnyAsync(u => (u.Uid == locked1.UserUid || u.Uid == locked2.UserUid) && u.LockedAt != null)));
        Assert.Equal(2, await app.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.Kind == "account_unlocked" && m.ToAddress.EndsWith("-unlock@example.test"))));
    }

    [Fact]
    public async Task BulkRemove_AsksForConfirmation_ThenRemovesOnlyAfterIt()
    {
        var (org, _) = await OrgAsync("owner-remove@example.test");
        await app.Member(org.Uid, "gone-remove@example.test").Named("Gus", "Gone").AddAsync();
        await app.Member(org.Uid, "pending-remove@example.test").Pending().AddAsync();
        await app.Member(org.Uid, "stay-remove@example.test").Named("Sam", "Stay").AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-remove@example.test");

        await session.Page.GotoAsync($"/o/{org.Uid}/users");
        await session.Page.GetByLabel("Select Gus Gone").CheckAsync();
        await session.Page.GetByLabel("Select pending-remove@example.test").CheckAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Remove…" }).First.ClickAsync();

        var confirm = session.Page.GetByRole(AriaRole.Alertdialog);
        await Expect(confirm).ToContainTextAsync("Remove 2 users?");
        await Expect(confirm).ToContainTextAsync("gone-remove@example.test");
        Assert.Equal(4, await app.WithDbAsync(db => db.Memberships.CountAsync(m => m.OrganizationUid == org.Uid)));
        await session.SnapshotAsync("1-confirm");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Remove 2 users" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Remove: 2 of 2 done");
        await Expect(session.Page.Locator("tbody")).Not.ToContainTextAsync("gone-remove@example.test");
        var left = await app.WithDbAsync(db => db.Memberships.Where(m => m.OrganizationUid == org.Uid).Select(m => m.Email).OrderBy(e => e).ToListAsync());
        Assert.Equal(["owner-remove@example.test", "stay-remove@example.test"], left);
    }

    [Fact]
    public async Task Export_DownloadsEveryUserAsCsv_WithFormulasNeutralised()
    {
        var (org, _) = await OrgAsync("owner-export@example.test");
        await app.Member(org.Uid, "evil-export@example.test").Named("=HYPERLINK(\"x\")", "Eve").AddAsync();
        await app.Member(org.Uid, "pending-export@example.test").Pending().AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-export@example.test");
        await session.Page.GotoAsync($"/o/{org.Uid}/users");

        var download = await session.Page.RunAndWaitForDownloadAsync(() =>
            session.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        Assert.StartsWith($"users-{org.Uid}-", download.SuggestedFilename);
        var path = await download.PathAsync();
        var rows = CsvReader.Parse(await File.ReadAllTextAsync(path!, Encoding.UTF8));

        Assert.Equal("Email", rows[0][0]);
        Assert.Equal(4, rows.Count);
        var evil = rows.Single(r => r[0] == "evil-export@example.test");
        Assert.Equal("'=HYPERLINK(\"x\")", evil[1]);
        Assert.Equal("Pending", rows.Single(r => r[0] == "pending-export@example.test")[4]);
        Assert.True(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.OrganizationUid == org.Uid && e.EventType == "export_users")));
    }

    [Fact]
    public async Task DeletingAStack_NeedsItsNameTyped_ThenDeletesIt()
    {
        var (org, ownerUid) = await OrgAsync("owner-stackdel@example.test");
        var member = await app.Member(org.Uid, "dev-stackdel@example.test").AddAsync();
        var doomed = await app.AddConsoleStackAsync(org.Uid, "Old campaign", ownerUid, (member.MembershipUid, "Developer"));
        await app.AddConsoleStackAsync(org.Uid, "Website", ownerUid);
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-stackdel@example.test");

        await session.Page.GotoAsync($"/o/{org.Uid}/stacks");
        var row = session.Page.Locator("tr", new() { HasText = "Old campaign" });
        await Expect(row).ToContainTextAsync("owner-stackdel@example.test");
        await Expect(row.Locator("td.num")).ToHaveTextAsync("1");
        await row.GetByRole(AriaRole.Link, new() { Name = "Delete Old campaign" }).ClickAsync();

        var dialog = session.Page.GetByRole(AriaRole.Alertdialog);
        var button = dialog.GetByRole(AriaRole.Button, new() { Name = "Delete this stack" });
        await Expect(dialog.GetByRole(AriaRole.Textbox)).ToBeFocusedAsync();
        await Expect(button).ToBeDisabledAsync();
        await dialog.GetByRole(AriaRole.Textbox).FillAsync("Old");
        await Expect(button).ToBeDisabledAsync();
        await dialog.GetByRole(AriaRole.Textbox).FillAsync("Old campaign");
        await session.SnapshotAsync("1-typed");
        await button.ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Old campaign was deleted");
        await Expect(session.Page.Locator("tbody tr")).ToHaveCountAsync(1);
        Assert.False(await app.WithDbAsync(db => db.Stacks.AnyAsync(s => s.Uid == doomed.Uid)));
    }

    [Fact]
    public async Task DeletingAStack_WithTheWrongName_IsRefusedByTheServer()
    {
        var (org, ownerUid) = await OrgAsync("owner-stackwrong@example.test");
        var stack = await app.AddConsoleStackAsync(org.Uid, "Keep me", ownerUid);
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(app.BaseUrl) };
        await client.SignInAsync("owner-stackwrong@example.test");
        var path = $"/o/{org.Uid}/stacks?delete={stack.ApiKey}";
        var response = await client.SubmitAsync(path, new Dictionary<string, string> { ["ConfirmName"] = "keep me" }, path + "&handler=Delete");
        Assert.Contains("Type the stack", await response.Content.ReadAsStringAsync());
        Assert.True(await app.WithDbAsync(db => db.Stacks.AnyAsync(s => s.Uid == stack.Uid)));
    }

    [Fact]
    public async Task PlanPage_ShowsUsageBars_AndBillingToTheOwnerOnly()
    {
        var (org, _) = await OrgAsync("owner-plan@example.test");
        await app.WithDbAsync(db => db.Organizations.Where(o => o.Uid == org.Uid).ExecuteUpdateAsync(u => u
            .SetProperty(o => o.MaxUsers, 10).SetProperty(o => o.BillingEmail, "billing@acme.test")
            .SetProperty(o => o.BillingPaymentMethod, "Visa ending 4242").SetProperty(o => o.PlanExpiresAt, DateTimeOffset.UtcNow.AddDays(12))));
        await app.Member(org.Uid, "admin-plan@example.test", OrgRole.Admin).Named("Ada", "Admin").AddAsync();
        await app.Member(org.Uid, "pending-plan@example.test").Pending().AddAsync();

        await using (var owner = await browser.OpenAsync(app, this, "PlanPage_Owner"))
        {
            await owner.SignInAsync("owner-plan@example.test");
            await owner.Page.GetByRole(AriaRole.Link, new() { Name = "Plan and usage" }).ClickAsync();
            await Expect(owner.Page.Locator("#usage-users")).ToContainTextAsync("3 of 10");
            await Expect(owner.Page.Locator("#usage-users")).ToContainTextAsync("2 members + 1 pending invitation");
            await Expect(owner.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("The plan expires in 12 days");
            await Expect(owner.Page.Locator("#billing")).ToContainTextAsync("Visa ending 4242");
        }
        await using var admin = await browser.OpenAsync(app, this);
        await admin.SignInAsync("admin-plan@example.test");
        await admin.Page.GotoAsync($"/o/{org.Uid}/plan");
        await Expect(admin.Page.Locator("#usage-stacks")).ToContainTextAsync("0 of");
        await Expect(admin.Page.Locator("#billing")).ToHaveCountAsync(0);
        await Expect(admin.Page.Locator("main")).Not.ToContainTextAsync("Visa");
        await Expect(admin.Page.Locator("main")).ToContainTextAsync("Billing details are visible to the Owner only.");
    }

    [Fact]
    public async Task AuditLog_FiltersByUserActionAndDate_AndExportsTheFilteredLog()
    {
        var (org, ownerUid) = await OrgAsync("owner-audit@example.test");
        var now = DateTimeOffset.UtcNow;
        await app.WithDbAsync(async db =>
        {
            AuditEvent Event(string actor, string module, string type, string label, DateTimeOffset at) => new()
            {
                Uid = Ids.New(), OrganizationUid = org.Uid, ActorUserUid = ownerUid, ActorEmail = actor, Module = module, EventType = type,
                TargetType = "user", TargetLabel = label, CreatedAt = at, RemoteAddress = "203.0.113.9",
            };
            db.AuditEvents.AddRange(
                Event("owner-audit@example.test", "user", "unlock", "=cmd|' /C calc'!A0", now.AddMinutes(-5)),
                Event("owner-audit@example.test", "user", "unlock", "old@example.test", now.AddDays(-40)),
                Event("owner-audit@example.test", "stack", "delete", "Old site", now.AddMinutes(-3)),
                Event("other-audit@example.test", "user", "unlock", "x@example.test", now.AddMinutes(-2)));
            return await db.SaveChangesAsync();
        });
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-audit@example.test");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await Expect(session.Page.Locator("tbody tr")).Not.ToHaveCountAsync(0);

        await session.Page.GetByLabel("User").FillAsync("owner-audit@example.test");
        await session.Page.GetByLabel("Action").SelectOptionAsync(new SelectOptionValue { Label = "Account unlocked" });
        await session.Page.GetByLabel("From").FillAsync(now.AddDays(-7).ToString("yyyy-MM-dd"));
        await session.Page.GetByLabel("To").FillAsync(now.ToString("yyyy-MM-dd"));
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();

        await Expect(session.Page.Locator("#audit-count")).ToContainTextAsync("1 event matches your filters");
        await Expect(session.Page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(session.Page.Locator("tbody")).ToContainTextAsync("Account unlocked");

        var download = await session.Page.RunAndWaitForDownloadAsync(() =>
            session.Page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        var rows = CsvReader.Parse(await File.ReadAllTextAsync((await download.PathAsync())!, Encoding.UTF8));
        Assert.Equal(["Time", "User", "Module", "Action", "Target Type", "Target", "Target UID", "IP Address", "Details"], rows[0]);
        var row = Assert.Single(rows.Skip(1));
        Assert.Equal("unlock", row[3]);
        Assert.Equal("'=cmd|' /C calc'!A0", row[5]);
        Assert.True(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.OrganizationUid == org.Uid && e.EventType == "export_audit_log")));
    }

    [Fact]
    public async Task RowMenu_ResendsAnInvitation_AndRemovesAUserAfterConfirmation()
    {
        var (org, _) = await OrgAsync("owner-rowmenu@example.test");
        var invitation = await app.Member(org.Uid, "pending-rowmenu@example.test").Pending().AddAsync();
        await app.Member(org.Uid, "gone-rowmenu@example.test").Named("Rita", "Row").AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-rowmenu@example.test");
        await session.Page.GotoAsync($"/o/{org.Uid}/users");

        await session.Page.Locator("summary[aria-label='More options for pending-rowmenu@example.test']").ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Resend invitation" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Resend invitation: 1 of 1 done");
        Assert.True(await app.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.ToAddress == "pending-rowmenu@example.test" && m.Kind == "invitation")));

        await session.Page.Locator("summary[aria-label='More options for Rita Row']").ClickAsync();
        await session.Page.Locator("tr", new() { HasText = "Rita Row" }).GetByRole(AriaRole.Button, new() { Name = "Remove…" }).ClickAsync();
        var confirm = session.Page.GetByRole(AriaRole.Alertdialog);
        await Expect(confirm).ToContainTextAsync("Remove 1 user?");
        await Expect(confirm.GetByRole(AriaRole.Button, new() { Name = "Remove 1 user" })).ToBeFocusedAsync();
        await session.Page.Keyboard.PressAsync("Enter");
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Remove: 1 of 1 done");
        Assert.False(await app.WithDbAsync(db => db.Memberships.AnyAsync(m => m.OrganizationUid == org.Uid && m.Email == "gone-rowmenu@example.test")));
        Assert.True(await app.WithDbAsync(db => db.Memberships.AnyAsync(m => m.Uid == invitation.MembershipUid)));
    }

    [Fact]
    public async Task BulkChangeRole_MakesTheSelectedMembersAdmins_AndReportsTheOwnerUntouched()
    {
        var (org, _) = await OrgAsync("owner-bulkrole@example.test");
        var a = await app.Member(org.Uid, "a-bulkrole@example.test").Named("Ann", "A").AddAsync();
        var b = await app.Member(org.Uid, "b-bulkrole@example.test").Pending().AddAsync();
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-bulkrole@example.test");
        await session.Page.GotoAsync($"/o/{org.Uid}/users");

        await session.Page.GetByLabel("Select Ann A").CheckAsync();
        await session.Page.GetByLabel("Select b-bulkrole@example.test").CheckAsync();
        await session.Page.GetByLabel("New organization role").SelectOptionAsync("admin");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Change role to Admin: 2 of 2 done");
        var roles = await app.WithDbAsync(db => db.Memberships.Where(m => m.Uid == a.MembershipUid || m.Uid == b.MembershipUid).Select(m => m.Role).ToListAsync());
        Assert.All(roles, r => Assert.Equal(OrgRole.Admin, r));
    }

    [Fact]
    public async Task InvitePost_WithoutARole_IsRefusedByTheServer_AndAMemberGets403()
    {
        var (org, _) = await OrgAsync("owner-invitepost@example.test");
        await app.Member(org.Uid, "member-invitepost@example.test").AddAsync();
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() };
        using var client = new HttpClient(handler) { BaseAddress = new Uri(app.BaseUrl) };
        await client.SignInAsync("owner-invitepost@example.test");
        var path = $"/o/{org.Uid}/users/invite";
        var response = await client.SubmitAsync(path, new Dictionary<string, string> { ["Addresses"] = "x-invitepost@example.test" });
        Assert.Contains("Choose the organization role", await response.Content.ReadAsStringAsync());
        Assert.False(await app.WithDbAsync(db => db.Memberships.AnyAsync(m => m.Email == "x-invitepost@example.test")));

        using var memberHandler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new System.Net.CookieContainer() };
        using var member = new HttpClient(memberHandler) { BaseAddress = new Uri(app.BaseUrl) };
        await member.SignInAsync("member-invitepost@example.test");
        foreach (var page in new[] { "/users/invite", "/plan", "/audit-log", "/users?handler=export", "/stacks" })
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await member.GetAsync($"/o/{org.Uid}{page}")).StatusCode);
    }
}
