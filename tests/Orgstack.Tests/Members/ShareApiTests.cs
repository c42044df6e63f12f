using System.Net;
using System.Text.Json.Nodes;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Members;

public sealed class ShareApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static object ShareBody(object users, object? stacks = null, string? message = null) =>
        new { share = new { users, stacks = stacks ?? new { }, message } };

    [Fact]
    public async Task PostShare_SeveralAddressesWithStackRoles_AnswersTheSharesAndPerAddressErrors()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var stack = await app.CreateStackAsync(org.Uid, owner.UserUid);
        var member = Unique("member");
        await app.Member(org.Uid, member).InviteAndAcceptAsync(owner);
        var client = await app.SignedInAsync(owner.Email);
        var adminRole = OrgRoles.UidFor(org.Uid, OrgRole.Admin);
        var memberRole = OrgRoles.UidFor(org.Uid, OrgRole.Member);
        var a = Unique("a");
        var b = Unique("b");

        var response = await client.PostAsync($"/v3/organizations/{org.Uid}/share", ShareBody(
            new Dictionary<string, string[]> { [a] = [adminRole], [b] = [memberRole], ["broken@"] = [memberRole], [member] = [memberRole] },
            new Dictionary<string, object> { [b] = new Dictionary<string, string[]> { [stack.ApiKey] = [stack.Roles["Developer"], stack.Roles["Admin"]] } },
            "Welcome aboard"));

        response.EnsureStatus(HttpStatusCode.OK);
        var json = response.Json;
        Assert.Equal("The invitation has been sent to 2 of 4 addresses.", json["notice"]!.GetValue<string>());
        var shares = json["shares"]!.AsArray();
        Assert.Equal([a, b], shares.Select(s => s!["email"]!.GetValue<string>()).ToList());
        var first = shares[0]!;
        Assert.Null(first["user_uid"]);
        Assert.Equal(adminRole, first["org_roles"]![0]!.GetValue<string>());
        Assert.Equal("pending", first["status"]!.GetValue<string>());
        Assert.Equal(owner.UserUid, first["invited_by"]!.GetValue<string>());
        Assert.Equal("Welcome aboard", first["message"]!.GetValue<string>());
        Assert.Equal(org.Uid, first["org_uid"]!.GetValue<string>());
        Assert.NotNull(first["updated_at"]);
        Assert.NotNull(first["update_at"]);
        Assert.NotNull(first["invited_at"]);
        Assert.Equal(2, shares[1]!["stacks"]![0]!["roles"]!.AsArray().Count);
        Assert.NotNull(json["errors"]!["broken@"]);
        Assert.NotNull(json["errors"]![member]);
        Assert.Equal("refused", json["results"]!.AsArray().Single(r => r!["email"]!.GetValue<string>() == member)!["status"]!.GetValue<string>());
        Assert.Single(await app.MailsToAsync(a, "invitation"));
    }

    [Fact]
    public async Task PostShare_WithoutOrganizationRole_Answers422()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(owner.Email);
        var email = Unique("norole");

        var response = await client.PostAsync($"/v3/organizations/{org.Uid}/share", ShareBody(new Dictionary<string, string[]> { [email] = [] }));

        var error = response.EnsureError(HttpStatusCode.UnprocessableEntity);
        Assert.NotNull(error["errors"]![email]);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
    }

    [Fact]
    public async Task PostShare_ByAdminAsOwner_Answers403()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        var client = await app.SignedInAsync(admin.Email);

        var response = await client.PostAsync($"/v3/organizations/{org.Uid}/share",
            ShareBody(new Dictionary<string, string[]> { [Unique("x")] = [OrgRoles.UidFor(org.Uid, OrgRole.Owner)] }));

        response.EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task PostShare_AsMember_Answers403()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = await app.Member(org.Uid, Unique("member")).InviteAndAcceptAsync(owner);
        var client = await app.SignedInAsync(member.Email);

        var response = await client.PostAsync($"/v3/organizations/{org.Uid}/share", ShareBody(new Dictionary<string, string[]> { [Unique("x")] = ["member"] }));

        response.EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task ShareEndpoints_OnAnotherOrganization_Answer404()
    {
        var (org, _) = await app.NewOrganizationAsync();
        var (_, stranger) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(stranger.Email);

        (await client.PostAsync($"/v3/organizations/{org.Uid}/share", ShareBody(new Dictionary<string, string[]> { [Unique("x")] = ["member"] }))).EnsureError(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v3/organizations/{org.Uid}/share")).EnsureError(HttpStatusCode.NotFound);
        (await client.DeleteAsync($"/v3/organizations/{org.Uid}/share", new { emails = new[] { "a@b.test" } })).EnsureError(HttpStatusCode.NotFound);
        (await client.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = stranger.Email })).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ShareEndpoints_WithoutSession_Answer401()
    {
        var (org, _) = await app.NewOrganizationAsync();

        (await app.Client().GetAsync($"/v3/organizations/{org.Uid}/share")).EnsureError(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("{\"share\": {\"users\": ")]
    [InlineData("{\"share\": {\"users\": \"x@example.test\"}}")]
    [InlineData("{\"share\": {\"users\": {\"x@example.test\": [1]}}}")]
    [InlineData("{\"share\": {\"users\": {}, \"stacks\": {\"x@example.test\": [\"k\"]}}}")]
    [InlineData("{\"share\": \"nope\"}")]
    [InlineData("[]")]
    public async Task PostShare_WithAMalformedBody_Answers400AndChangesNothing(string body)
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(owner.Email);

        var response = await client.PostAsync($"/v3/organizations/{org.Uid}/share", body);

        response.EnsureError(HttpStatusCode.BadRequest);
        Assert.Null(await app.MembershipAsync(org.Uid, "x@example.test"));
    }

    [Fact]
    public async Task PostShare_WithAnEmptyUsersMap_Answers422()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(owner.Email);

        (await client.PostAsync($"/v3/organizations/{org.Uid}/share", ShareBody(new { }))).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task GetShare_PagesWithSkipCountSortAndTypeahead()
    {
        var (org, owner) = await app.NewOrganizationAsync($"owner-{Guid.NewGuid():n}@example.test");
        foreach (var n in new[] { "ann", "bob", "cid" }) await app.InviteAsync(org.Uid, owner, Invitee($"{n}@{org.Uid}.example.test"));
        var client = await app.SignedInAsync(owner.Email);

        var first = (await client.GetAsync($"/v3/organizations/{org.Uid}/share?limit=2&skip=0&include_count=true&asc=email")).EnsureStatus(HttpStatusCode.OK).Json;
        var second = (await client.GetAsync($"/v3/organizations/{org.Uid}/share?limit=2&skip=2&page=2")).EnsureStatus(HttpStatusCode.OK).Json;
        var past = (await client.GetAsync($"/v3/organizations/{org.Uid}/share?limit=2&skip=4")).EnsureStatus(HttpStatusCode.OK).Json;
        var desc = (await client.GetAsync($"/v3/organizations/{org.Uid}/share?desc=email&limit=1")).EnsureStatus(HttpStatusCode.OK).Json;
        var search = (await client.GetAsync($"/v3/organizations/{org.Uid}/share?typeahead=bo&include_user_details=true")).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal(4, first["count"]!.GetValue<long>());
        Assert.Null(second["count"]);
        Assert.Equal(["ann", "bob"], first["shares"]!.AsArray().Select(s => s!["email"]!.GetValue<string>().Split('@')[0]).ToList());
        Assert.Equal(2, second["shares"]!.AsArray().Count);
        Assert.Empty(past["shares"]!.AsArray());
        Assert.StartsWith("owner-", desc["shares"]![0]!["email"]!.GetValue<string>());
        Assert.True(desc["shares"]![0]!["is_owner"]!.GetValue<bool>());
        Assert.Equal("accepted", desc["shares"]![0]!["status"]!.GetValue<string>());
        var bob = Assert.Single(search["shares"]!.AsArray())!;
        Assert.Equal($"bob@{org.Uid}.example.test".ToLowerInvariant(), bob["email"]!.GetValue<string>());
        Assert.Equal(owner.Email, bob["invited_by_email"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetShare_WithANegativeSkip_Answers422()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(owner.Email);

        (await client.GetAsync($"/v3/organizations/{org.Uid}/share?skip=-1")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"/v3/organizations/{org.Uid}/share?limit=abc")).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task PostShareSearch_ByEmails_AnswersThoseShares()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var a = Unique("a");
        var b = Unique("b");
        await app.InviteAsync(org.Uid, owner, Invitee(a), Invitee(b));
        var client = await app.SignedInAsync(owner.Email);

        var found = (await client.PostAsync($"/v3/organizations/{org.Uid}/share/search", new { emails = new[] { b.ToUpperInvariant(), "nobody@example.test" } })).EnsureStatus(HttpStatusCode.OK).Json;
        var all = (await client.SendAsync(HttpMethod.Post, $"/v3/organizations/{org.Uid}/share/search")).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal(b, Assert.Single(found["shares"]!.AsArray())!["email"]!.GetValue<string>());
        Assert.Equal(3, all["shares"]!.AsArray().Count);
    }

    [Fact]
    public async Task DeleteShare_WithJsonBody_RemovesTheUsers_ButNeverTheOwner()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = Unique("member");
        await app.Member(org.Uid, member).InviteAndAcceptAsync(owner);
        var pending = Unique("pending");
        await app.InviteAsync(org.Uid, owner, Invitee(pending));
        var client = await app.SignedInAsync(owner.Email);

        (await client.DeleteAsync($"/v3/organizations/{org.Uid}/share", new { emails = new[] { owner.Email } })).EnsureError(HttpStatusCode.Forbidden);
        var removed = (await client.DeleteAsync($"/v3/organizations/{org.Uid}/share", new { emails = new[] { member, pending } })).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal("The invitation has been deleted successfully.", removed["notice"]!.GetValue<string>());
        Assert.Equal(2, removed["shares"]!.AsArray().Count);
        Assert.Null(await app.MembershipAsync(org.Uid, member));
        Assert.Null(await app.MembershipAsync(org.Uid, pending));
        Assert.NotNull(await app.MembershipAsync(org.Uid, owner.Email));
        (await client.DeleteAsync($"/v3/organizations/{org.Uid}/share")).EnsureError(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ResendInvitation_OnBothRoutes_SendsANewLinkEachTime()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("resend");
        var outcome = await app.InviteAsync(org.Uid, owner, Invitee(email));
        var uid = outcome[0].Invitation!.Uid;
        var client = await app.SignedInAsync(owner.Email);

        var docs = (await client.GetAsync($"/v3/organizations/{org.Uid}/share/{uid}/resend_invitation")).EnsureStatus(HttpStatusCode.OK).Json;
        var sdk = (await client.GetAsync($"/v3/organizations/{org.Uid}/{uid}/resend_invitation")).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal("The invitation has been resent successfully.", docs["notice"]!.GetValue<string>());
        Assert.Equal("The invitation has been resent successfully.", sdk["notice"]!.GetValue<string>());
        Assert.Equal(3, (await app.MailsToAsync(email, "invitation")).Count);
        (await client.GetAsync($"/v3/organizations/{org.Uid}/share/bltnope/resend_invitation")).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PutShare_ChangesOrganizationAndStackRoles()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var stack = await app.CreateStackAsync(org.Uid, owner.UserUid);
        var email = Unique("put");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner);
        var uid = (await app.MembershipAsync(org.Uid, email))!.Uid;
        var client = await app.SignedInAsync(owner.Email);

        var response = await client.PutAsync($"/v3/organizations/{org.Uid}/share/{uid}", new
        {
            share = new { org_roles = new[] { "admin" }, stacks = new Dictionary<string, string[]> { [stack.ApiKey] = [stack.Roles["Content Manager"]] } },
        });

        var share = response.EnsureStatus(HttpStatusCode.OK).Json["share"]!;
        Assert.Equal(OrgRoles.UidFor(org.Uid, OrgRole.Admin), share["org_roles"]![0]!.GetValue<string>());
        Assert.Equal(stack.Roles["Content Manager"], share["stacks"]![0]!["roles"]![0]!.GetValue<string>());
        var ownerUid = (await app.MembershipAsync(org.Uid, owner.Email))!.Uid;
        (await client.PutAsync($"/v3/organizations/{org.Uid}/share/{ownerUid}", new { share = new { org_roles = new[] { "member" } } })).EnsureError(HttpStatusCode.Forbidden);
        (await client.PutAsync($"/v3/organizations/{org.Uid}/share/{uid}", new { share = new { org_roles = new[] { "owner" } } })).EnsureError(HttpStatusCode.Forbidden);
        (await client.PutAsync($"/v3/organizations/{org.Uid}/share/{uid}", new { share = new { org_roles = "bogus" } })).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task DeleteShareByUid_RevokesAPendingInvitation()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("revoke");
        var uid = (await app.InviteAsync(org.Uid, owner, Invitee(email)))[0].Invitation!.Uid;
        var client = await app.SignedInAsync(owner.Email);

        (await client.DeleteAsync($"/v3/organizations/{org.Uid}/share/{uid}")).EnsureStatus(HttpStatusCode.OK);

        Assert.Null(await app.MembershipAsync(org.Uid, email));
        Assert.True(await app.AuditedAsync(org.Uid, "revoke_invitation", email));
    }

    [Fact]
    public async Task GetShare_ShowsNameLastLoginAndStackRolesOfAcceptedMembers()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var stack = await app.CreateStackAsync(org.Uid, owner.UserUid, "Docs");
        var email = Unique("known");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner, stack, "Developer");
        await app.SignedInAsync(email);
        var client = await app.SignedInAsync(owner.Email);

        var found = (await client.PostAsync($"/v3/organizations/{org.Uid}/share/search", new { emails = new[] { email } })).EnsureStatus(HttpStatusCode.OK).Json;

        var share = Assert.Single(found["shares"]!.AsArray())!;
        Assert.Equal("accepted", share["status"]!.GetValue<string>());
        Assert.Equal("Mia", share["first_name"]!.GetValue<string>());
        Assert.Equal("Member", share["last_name"]!.GetValue<string>());
        Assert.NotNull(share["last_login_at"]);
        Assert.NotNull(share["user_uid"]);
        Assert.False(share["is_owner"]!.GetValue<bool>());
        Assert.False(share["access_without_sso"]!.GetValue<bool>());
        Assert.Equal(OrgRoles.UidFor(org.Uid, OrgRole.Member), share["org_roles"]![0]!.GetValue<string>());
        var stackRoles = share["stacks"]![0]!;
        Assert.Equal(stack.ApiKey, stackRoles["api_key"]!.GetValue<string>());
        Assert.Equal("Docs", stackRoles["name"]!.GetValue<string>());
        Assert.Equal(stack.Roles["Developer"], stackRoles["roles"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task PostShare_WithRepeatedEmailKeysUnderStacks_MergesThem()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var website = await app.CreateStackAsync(org.Uid, owner.UserUid, "Website");
        var blog = await app.CreateStackAsync(org.Uid, owner.UserUid, "Blog");
        var email = Unique("dup");
        var client = await app.SignedInAsync(owner.Email);
        var body = "{\"share\":{\"users\":{\"" + email + "\":[\"member\"]},\"stacks\":{"
            + "\"" + email + "\":{\"" + website.ApiKey + "\":[\"" + website.Roles["Developer"] + "\"]},"
            + "\"" + email + "\":{\"" + blog.ApiKey + "\":[\"" + blog.Roles["Admin"] + "\"]}}}}";

        var response = await client.PostAsync($"/v3/organizations/{org.Uid}/share", body);

        response.EnsureStatus(HttpStatusCode.OK);
        var uid = (await app.MembershipAsync(org.Uid, email))!.Uid;
        var stacks = await app.DbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.StackRoleAssignments.Where(a => a.MembershipUid == uid).Select(a => a.StackUid)));
        Assert.Equal(2, stacks.Distinct().Count());
    }
}
