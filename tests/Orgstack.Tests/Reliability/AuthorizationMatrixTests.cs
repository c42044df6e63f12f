using System.Text;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Reliability;

/// <summary>
/// Every /v3 endpoint of the running app for every kind of caller. The table below must name every endpoint the app
/// maps: a new endpoint fails this test until it is classified. Targets that a call changes (a member to remove, a
/// role to delete, a stack to delete) are made fresh for each cell, so the callers' own standing never changes.
/// </summary>
public sealed class AuthorizationMatrixTests(AppFactory app, ITestOutputHelper output) : AuthorizationMatrixSuite<AppFactory>(app, output);

/// <summary>The same matrix with the server on PostgreSQL.</summary>
public sealed class AuthorizationMatrixOnPostgresTests(PgAppFactory app, ITestOutputHelper output) : AuthorizationMatrixSuite<PgAppFactory>(app, output);

public abstract class AuthorizationMatrixSuite<TFactory>(TFactory app, ITestOutputHelper output) : ProviderSuite<TFactory>(app, output)
    where TFactory : AppFactory
{
    // Expected status per caller, in MatrixCaller order: Anonymous, Member, Admin, Owner, StackMember, OtherOwner, Removed, Locked.
    // 200 stands for any 2xx; anything else must be that status in the error shape.
    private static readonly int[] OrgAdmin = [401, 403, 200, 200, 403, 404, 404, 401];
    private static readonly int[] OrgOwner = [401, 403, 403, 200, 403, 404, 404, 401];
    private static readonly int[] OrgMember = [401, 200, 200, 200, 200, 404, 404, 401];
    private static readonly int[] SignedIn = [401, 200, 200, 200, 200, 200, 200, 401];
    private static readonly int[] Public = [200, 200, 200, 200, 200, 200, 200, 200];

    private sealed record Cell(int[] Expected, Func<ReliabilityWorld, MatrixCaller, ApiClient, Task<ApiResponse>> Call);

    private static Dictionary<string, string> Key(ReliabilityWorld w) => new() { ["api_key"] = w.Stack.ApiKey };

    private static readonly Dictionary<string, Cell> Table = new()
    {
        // Sessions and the signed-in user.
        ["POST /v3/user-session"] = new(Public, (w, _, c) => c.PostAsync("/v3/user-session", new { user = new { email = w.Emails[MatrixCaller.Member], password = Scenario.Password } })),
        // Signing out is idempotent: a dead (locked) token is simply gone, only a missing token is 401.
        ["DELETE /v3/user-session"] = new([401, 200, 200, 200, 200, 200, 200, 200], async (w, caller, c) => await (await FreshClientAsync(w, caller, c)).DeleteAsync("/v3/user-session")),
        ["GET /v3/user"] = new(SignedIn, (_, _, c) => c.GetAsync("/v3/user")),
        ["PUT /v3/user"] = new(SignedIn, (_, _, c) => c.PutAsync("/v3/user", new { user = new { company = "Acme" } })),
        ["POST /v3/user/change_password"] = new([401, 422, 422, 422, 422, 422, 422, 401],
            (_, _, c) => c.PostAsync("/v3/user/change_password", new { user = new { current_password = "not the password", password = "another long passphrase", password_confirmation = "another long passphrase" } })),
        ["POST /v3/user/forgot_password"] = new(Public, (_, _, c) => c.PostAsync("/v3/user/forgot_password", new { user = new { email = MembersScenario.Unique("nobody") } })),
        ["POST /v3/user/reset_password"] = new([422, 422, 422, 422, 422, 422, 422, 422],
            (_, _, c) => c.PostAsync("/v3/user/reset_password", new { user = new { reset_password_token = "bogus", password = "another long passphrase", password_confirmation = "another long passphrase" } })),
        ["POST /v3/user/activate/{token}"] = new([422, 422, 422, 422, 422, 422, 422, 422],
            (_, _, c) => c.PostAsync("/v3/user/activate/bogus", new { user = new { first_name = "A", last_name = "B", password = "another long passphrase", password_confirmation = "another long passphrase" } })),
        ["POST /v3/user/two_factor/enroll"] = new(SignedIn, (_, _, c) => c.PostAsync("/v3/user/two_factor/enroll", new { })),
        ["POST /v3/user/two_factor/confirm"] = new([401, 422, 422, 422, 422, 422, 422, 401], (_, _, c) => c.PostAsync("/v3/user/two_factor/confirm", new { code = "000000" })),
        ["POST /v3/user/two_factor/disable"] = new([401, 422, 422, 422, 422, 422, 422, 401], (_, _, c) => c.PostAsync("/v3/user/two_factor/disable", new { code = "000000" })),
        ["POST /v3/user/two_factor/reset"] = new([422, 422, 422, 422, 422, 422, 422, 422], (_, _, c) => c.PostAsync("/v3/user/two_factor/reset", new { token = "bogus", password = Scenario.Password })),

        // Organizations.
        ["GET /v3/organizations"] = new(SignedIn, (_, _, c) => c.GetAsync("/v3/organizations")),
        ["GET /v3/organizations/{organizationUid}"] = new(OrgMember, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}")),
        ["GET /v3/organizations/{organizationUid}/roles"] = new(OrgAdmin, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}/roles")),
        ["GET /v3/organizations/{organizationUid}/logs"] = new(OrgAdmin, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}/logs")),
        ["GET /v3/organizations/{organizationUid}/logs/{logUid}"] = new(OrgAdmin, async (w, _, c) =>
            await c.GetAsync($"/v3/organizations/{w.OrgUid}/logs/{await w.App.DbAsync(db => db.AuditEvents.Where(e => e.OrganizationUid == w.OrgUid).Select(e => e.Uid).FirstAsync())}")),
        ["GET /v3/organizations/{organizationUid}/sso"] = new(OrgAdmin, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}/sso")),
        ["PUT /v3/organizations/{organizationUid}/sso"] = new(OrgAdmin, (w, _, c) => c.PutAsync($"/v3/organizations/{w.OrgUid}/sso",
            new { sso = new { protocol = "oidc", enabled = false, oidc = new { issuer = "https://idp.example.test", client_id = "orgstack", client_secret = "not-a-real-secret" } } })),
        ["PUT /v3/organizations/{organizationUid}/share/{shareUid}/sso_access"] = new(OrgAdmin, async (w, _, c) =>
            await c.PutAsync($"/v3/organizations/{w.OrgUid}/share/{(await FreshMemberAsync(w)).MembershipUid}/sso_access", new { share = new { access_without_sso = false } })),
        ["GET /v3/organizations/{organizationUid}/plan"] = new(OrgAdmin, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}/plan")),
        ["GET /v3/organizations/{organizationUid}/users/export.csv"] = new(OrgAdmin, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}/users/export.csv")),
        ["GET /v3/organizations/{organizationUid}/stacks"] = new(OrgAdmin, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}/stacks")),

        // Members and invitations.
        ["POST /v3/organizations/{organizationUid}/share"] = new(OrgAdmin, (w, _, c) => c.PostAsync($"/v3/organizations/{w.OrgUid}/share",
            new { share = new { users = new Dictionary<string, string[]> { [MembersScenario.Unique("invitee")] = [OrgRoles.UidFor(w.OrgUid, OrgRole.Member)] } } })),
        ["GET /v3/organizations/{organizationUid}/share"] = new(OrgAdmin, (w, _, c) => c.GetAsync($"/v3/organizations/{w.OrgUid}/share")),
        ["POST /v3/organizations/{organizationUid}/share/search"] = new(OrgAdmin, (w, _, c) => c.PostAsync($"/v3/organizations/{w.OrgUid}/share/search", new { emails = new[] { w.Owner.Email } })),
        ["DELETE /v3/organizations/{organizationUid}/share"] = new(OrgAdmin, async (w, _, c) =>
            await c.DeleteAsync($"/v3/organizations/{w.OrgUid}/share", new { emails = new[] { (await FreshMemberAsync(w)).Email } })),
        ["GET /v3/organizations/{organizationUid}/share/{shareUid}/resend_invitation"] = new(OrgAdmin, async (w, _, c) =>
            await c.GetAsync($"/v3/organizations/{w.OrgUid}/share/{await FreshInvitationAsync(w)}/resend_invitation")),
        ["GET /v3/organizations/{organizationUid}/{shareUid}/resend_invitation"] = new(OrgAdmin, async (w, _, c) =>
            await c.GetAsync($"/v3/organizations/{w.OrgUid}/{await FreshInvitationAsync(w)}/resend_invitation")),
        ["PUT /v3/organizations/{organizationUid}/share/{shareUid}"] = new(OrgAdmin, async (w, _, c) =>
            await c.PutAsync($"/v3/organizations/{w.OrgUid}/share/{(await FreshMemberAsync(w)).MembershipUid}", new { share = new { org_roles = new[] { OrgRoles.UidFor(w.OrgUid, OrgRole.Admin) } } })),
        ["DELETE /v3/organizations/{organizationUid}/share/{shareUid}"] = new(OrgAdmin, async (w, _, c) =>
            await c.DeleteAsync($"/v3/organizations/{w.OrgUid}/share/{await FreshInvitationAsync(w)}")),
        ["POST /v3/organizations/{organizationUid}/users/unlock"] = new(OrgAdmin, async (w, _, c) =>
            await c.PostAsync($"/v3/organizations/{w.OrgUid}/users/unlock", new { users = new[] { (await FreshMemberAsync(w)).Email } })),
        ["POST /v3/organizations/{organizationUid}/users/reset_password"] = new(OrgAdmin, async (w, _, c) =>
            await c.PostAsync($"/v3/organizations/{w.OrgUid}/users/reset_password", new { users = new[] { (await FreshMemberAsync(w)).Email } })),
        ["POST /v3/organizations/{organizationUid}/users/reset_mfa"] = new(OrgAdmin, async (w, _, c) =>
            await c.PostAsync($"/v3/organizations/{w.OrgUid}/users/reset_mfa", new { users = new[] { (await FreshMemberAsync(w)).Email } })),
        ["POST /v3/organizations/{organizationUid}/users/sign_out"] = new(OrgAdmin, async (w, _, c) =>
            await c.PostAsync($"/v3/organizations/{w.OrgUid}/users/sign_out", new { users = new[] { (await FreshMemberAsync(w)).Email } })),
        ["POST /v3/organizations/{organizationUid}/users/change_role"] = new(OrgAdmin, async (w, _, c) =>
            await c.PostAsync($"/v3/organizations/{w.OrgUid}/users/change_role", new { users = new[] { (await FreshMemberAsync(w)).Email }, role = "admin" })),
        // Describing an invitation is public (the link is the credential): a bogus token is 422 for everyone.
        ["GET /v3/organizations/invitations/{token}"] = new([422, 422, 422, 422, 422, 422, 422, 422], (_, _, c) => c.GetAsync("/v3/organizations/invitations/bogus-token")),
        // Accepting: a presented but dead authtoken is 401, never a silent fall-back to creating an account.
        ["POST /v3/organizations/invitations/accept"] = new([422, 422, 422, 422, 422, 422, 422, 401],
            (_, _, c) => c.PostAsync("/v3/organizations/invitations/accept", new { token = "bogus-token", user = new { first_name = "A", last_name = "B", password = "another long passphrase" } })),

        // Ownership transfer.
        ["POST /v3/organizations/{organizationUid}/transfer-ownership"] = new(OrgOwner, async (w, _, c) =>
        {
            var target = await FreshMemberAsync(w);
            var response = await c.PostAsync($"/v3/organizations/{w.OrgUid}/transfer-ownership", new { transfer_to = target.Email });
            await CancelTransferAsync(w);
            return response;
        }),
        ["DELETE /v3/organizations/{organizationUid}/transfer-ownership"] = new(OrgOwner, async (w, _, c) =>
        {
            var target = await FreshMemberAsync(w);
            var started = await w.App.RunAsync<StartOwnershipTransfer, OwnershipTransfer>(u =>
                u.HandleAsync(new StartOwnershipTransfer.Request(w.OrgUid, target.Email), w.Owner, CancellationToken.None));
            Assert.True(started.IsSuccess, started.Error?.Message);
            var response = await c.DeleteAsync($"/v3/organizations/{w.OrgUid}/transfer-ownership");
            await CancelTransferAsync(w);
            return response;
        }),
        ["POST /v3/organizations/ownership/accept"] = new([422, 422, 422, 422, 422, 422, 422, 401],
            (_, _, c) => c.PostAsync("/v3/organizations/ownership/accept", new { token = "bogus-token" })),

        // Stacks (the stack-only matrix in Stacks/ covers more stack roles; here every caller kind meets each endpoint once).
        ["POST /v3/stacks"] = new(OrgAdmin, (w, _, c) => c.PostAsync("/v3/stacks", new { stack = new { name = "New" } }, new Dictionary<string, string> { ["organization_uid"] = w.OrgUid })),
        ["GET /v3/stacks"] = new([401, 412, 403, 200, 200, 412, 412, 401], (w, _, c) => c.GetAsync("/v3/stacks", Key(w))),
        ["PUT /v3/stacks"] = new([401, 412, 200, 200, 403, 412, 412, 401], (w, _, c) => c.PutAsync("/v3/stacks", new { stack = new { name = "Website" } }, Key(w))),
        ["DELETE /v3/stacks"] = new([401, 412, 200, 200, 403, 412, 412, 401], async (w, _, c) =>
            await c.DeleteAsync("/v3/stacks", headers: new Dictionary<string, string> { ["api_key"] = (await FreshStackAsync(w)).ApiKey })),
        ["GET /v3/stacks/users"] = new([401, 412, 403, 200, 200, 412, 412, 401], (w, _, c) => c.GetAsync("/v3/stacks/users", Key(w))),
        ["POST /v3/stacks/users/roles"] = new([401, 412, 200, 200, 403, 412, 412, 401], async (w, _, c) =>
            await c.PostAsync("/v3/stacks/users/roles", new { users = new Dictionary<string, string[]> { [(await FreshMemberAsync(w)).UserUid] = [w.Stack.Roles["Developer"]] } }, Key(w))),
        ["POST /v3/stacks/share"] = new([401, 412, 200, 200, 403, 412, 412, 401], async (w, _, c) =>
        {
            var email = (await FreshMemberAsync(w)).Email;
            return await c.PostAsync("/v3/stacks/share", new { emails = new[] { email }, roles = new Dictionary<string, string[]> { [email] = [w.Stack.Roles["Developer"]] } }, Key(w));
        }),
        ["POST /v3/stacks/unshare"] = new([401, 412, 200, 200, 403, 412, 412, 401], async (w, _, c) =>
            await c.PostAsync("/v3/stacks/unshare", new { email = (await FreshMemberAsync(w, withStackRole: true)).Email }, Key(w))),
        ["GET /v3/roles"] = new([401, 412, 403, 200, 200, 412, 412, 401], (w, _, c) => c.GetAsync("/v3/roles", Key(w))),
        ["GET /v3/roles/{roleUid}"] = new([401, 412, 403, 200, 200, 412, 412, 401], (w, _, c) => c.GetAsync($"/v3/roles/{w.Stack.Roles["Developer"]}", Key(w))),
        ["POST /v3/roles"] = new([401, 412, 200, 200, 403, 412, 412, 401], (w, _, c) =>
            c.PostAsync("/v3/roles", new { role = new { name = "Role " + Guid.NewGuid().ToString("n")[..8], rules = StackScenario.BranchRules() } }, Key(w))),
        ["PUT /v3/roles/{roleUid}"] = new([401, 412, 200, 200, 403, 412, 412, 401], async (w, _, c) =>
            await c.PutAsync($"/v3/roles/{await FreshRoleAsync(w)}", new { role = new { name = "Changed " + Guid.NewGuid().ToString("n")[..8] } }, Key(w))),
        ["DELETE /v3/roles/{roleUid}"] = new([401, 412, 200, 200, 403, 412, 412, 401], async (w, _, c) =>
            await c.DeleteAsync($"/v3/roles/{await FreshRoleAsync(w)}", headers: Key(w))),
    };

    [Fact]
    public async Task EveryEndpoint_ForEveryKindOfCaller_AnswersAsTheTableSays()
    {
        var endpoints = App.ReliabilityEndpoints();
        var unclassified = endpoints.Where(e => !Table.ContainsKey(e)).ToList();
        Assert.True(unclassified.Count == 0, "Endpoints missing from the authorization matrix (classify them): " + string.Join(", ", unclassified));
        var stale = Table.Keys.Where(k => !endpoints.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "Matrix rows for endpoints that no longer exist: " + string.Join(", ", stale));

        var world = await ReliabilityWorld.BuildAsync(App);
        var failures = new List<string>();
        var report = new StringBuilder();
        var cells = 0;
        foreach (var (endpoint, cell) in Table.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var row = new List<int>();
            foreach (var caller in Enum.GetValues<MatrixCaller>())
            {
                var response = await cell.Call(world, caller, world.Clients[caller]);
                var expected = cell.Expected[(int)caller];
                cells++;
                row.Add((int)response.Status);
                if (!response.Is(expected))
                    failures.Add($"{endpoint} as {caller}: expected {expected}, got {(int)response.Status} {Truncate(response.Body)}");
                else if (expected >= 400 && !response.IsErrorShape())
                    failures.Add($"{endpoint} as {caller}: {expected} without the error shape: {Truncate(response.Body)}");
            }
            report.AppendLine($"{endpoint,-80} {string.Join(' ', row)}");
        }
        Output.WriteLine(report.ToString());
        Output.WriteLine($"Authorization matrix ({Provider}): {Table.Count} endpoints x {Enum.GetValues<MatrixCaller>().Length} callers = {cells} cells checked, {failures.Count} failures.");
        ReliabilityReport.Count($"authorization matrix cells checked ({Provider})", cells, $"{Table.Count} endpoints x {Enum.GetValues<MatrixCaller>().Length} callers");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Truncate(string body) => body.Length > 200 ? body[..200] : body;

    private static async Task<ApiClient> FreshClientAsync(ReliabilityWorld w, MatrixCaller caller, ApiClient current) =>
        caller is MatrixCaller.Anonymous or MatrixCaller.Locked ? current : await w.App.SignedInAsync(w.Emails[caller]!);

    private static async Task<(string Email, string UserUid, string MembershipUid)> FreshMemberAsync(ReliabilityWorld w, bool withStackRole = false)
    {
        var email = MembersScenario.Unique("target");
        var actor = withStackRole
            ? await w.App.Member(w.OrgUid, email).InviteAndAcceptAsync(w.Owner, w.Stack, "Developer")
            : await w.App.Member(w.OrgUid, email).InviteAndAcceptAsync(w.Owner);
        var membership = await w.App.MembershipAsync(w.OrgUid, email);
        return (email, actor.UserUid, membership!.Uid);
    }

    private static async Task<string> FreshInvitationAsync(ReliabilityWorld w)
    {
        var outcome = await w.App.InviteAsync(w.OrgUid, w.Owner, MembersScenario.Invitee(MembersScenario.Unique("pending")));
        return outcome[0].Invitation!.Uid;
    }

    private static async Task<string> FreshRoleAsync(ReliabilityWorld w)
    {
        var created = await w.App.RunAsync<CreateStackRole, StackRoleView>(u =>
            u.HandleAsync(new CreateStackRole.Request(w.Stack.ApiKey, "Custom " + Guid.NewGuid().ToString("n")[..8], null, StackScenario.BranchRules()), w.Owner, CancellationToken.None));
        Assert.True(created.IsSuccess, created.Error?.Message);
        return created.Value.Role.Uid;
    }

    /// <summary>A new stack on which the stack member has the same Developer role as on the world's stack.</summary>
    private static async Task<TestStack> FreshStackAsync(ReliabilityWorld w)
    {
        var stack = await w.App.ReliabilityStackAsync(w.OrgUid, w.Owner, "Doomed");
        var email = w.Emails[MatrixCaller.StackMember]!;
        var shared = await w.App.RunAsync<ShareStack, ShareStack.Response>(u => u.HandleAsync(
            new ShareStack.Request(stack.ApiKey, [email], new Dictionary<string, IReadOnlyList<string>> { [email] = [stack.Roles["Developer"]] }), w.Owner, CancellationToken.None));
        Assert.True(shared.IsSuccess, shared.Error?.Message);
        return stack;
    }

    private static async Task CancelTransferAsync(ReliabilityWorld w) =>
        await w.App.RunAsync<CancelOwnershipTransfer, OwnershipTransfer>(u => u.HandleAsync(w.OrgUid, w.Owner, CancellationToken.None));
}
