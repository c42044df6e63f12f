using System.Net;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Members;

public sealed class TransferApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task TransferOwnership_StartCancelStartAccept_SwapsOwnerAndMember()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var nominee = await app.Member(org.Uid, Unique("nominee"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        var client = await app.SignedInAsync(owner.Email);

        var started = (await client.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = nominee.Email })).EnsureStatus(HttpStatusCode.OK).Json;
        (await client.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = nominee.Email })).EnsureError(HttpStatusCode.Conflict);
        var orgView = (await client.GetAsync($"/v3/organizations/{org.Uid}")).EnsureStatus(HttpStatusCode.OK).Json;
        (await client.DeleteAsync($"/v3/organizations/{org.Uid}/transfer-ownership")).EnsureStatus(HttpStatusCode.OK);
        (await client.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = nominee.Email })).EnsureStatus(HttpStatusCode.OK);
        var token = await app.LatestTokenAsync(nominee.Email, "ownership_transfer");
        var nomineeClient = await app.SignedInAsync(nominee.Email);
        var accepted = await nomineeClient.PostAsync("/v3/organizations/ownership/accept", new { token });

        Assert.False(string.IsNullOrEmpty(started["notice"]!.GetValue<string>()));
        Assert.True(orgView["organization"]!["is_transfer_set"]!.GetValue<bool>());
        Assert.True(accepted.EnsureStatus(HttpStatusCode.OK).Json["share"]!["is_owner"]!.GetValue<bool>());
        Assert.Equal(OrgRole.Owner, (await app.MembershipAsync(org.Uid, nominee.Email))!.Role);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, owner.Email))!.Role);
        (await client.GetAsync($"/v3/organizations/{org.Uid}/share")).EnsureError(HttpStatusCode.Forbidden);
        (await nomineeClient.PostAsync("/v3/organizations/ownership/accept", new { token })).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task TransferOwnership_ByAdmin_Answers403_AndWithoutAddress_Answers400()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);

        (await (await app.SignedInAsync(admin.Email)).PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = admin.Email })).EnsureError(HttpStatusCode.Forbidden);
        var ownerClient = await app.SignedInAsync(owner.Email);
        (await ownerClient.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = 5 })).EnsureError(HttpStatusCode.BadRequest);
        (await ownerClient.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = "not an address" })).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await ownerClient.DeleteAsync($"/v3/organizations/{org.Uid}/transfer-ownership")).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AcceptOwnership_ForAnExistingAccountWithoutSession_Answers401_AndByWrongUser_Answers403()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var (_, nominee) = await app.NewOrganizationAsync();
        var bystander = await app.Member(org.Uid, Unique("bystander")).InviteAndAcceptAsync(owner);
        await (await app.SignedInAsync(owner.Email)).PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = nominee.Email });
        var token = await app.LatestTokenAsync(nominee.Email, "ownership_transfer");

        (await app.Client().PostAsync("/v3/organizations/ownership/accept",
            new { token, user = new { first_name = "Eve", last_name = "X", password = Scenario.Password } })).EnsureError(HttpStatusCode.Unauthorized);
        (await (await app.SignedInAsync(bystander.Email)).PostAsync("/v3/organizations/ownership/accept", new { token })).EnsureError(HttpStatusCode.Forbidden);
        var dead = app.Client();
        dead.AuthToken = "csexpired";
        (await dead.PostAsync("/v3/organizations/ownership/accept", new { token })).EnsureError(HttpStatusCode.Unauthorized);
        Assert.Equal(OrgRole.Owner, (await app.MembershipAsync(org.Uid, owner.Email))!.Role);
        (await (await app.SignedInAsync(nominee.Email)).PostAsync("/v3/organizations/ownership/accept", new { token })).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AcceptOwnership_ByANewPerson_CreatesTheAccountAndMakesThemOwner()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var nominee = Unique("newowner");
        await (await app.SignedInAsync(owner.Email)).PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = nominee });
        var token = await app.LatestTokenAsync(nominee, "ownership_transfer");

        var weak = await app.Client().PostAsync("/v3/organizations/ownership/accept", new { token, user = new { first_name = "Nu", last_name = "Owner", password = "short" } });
        var accepted = await app.Client().PostAsync("/v3/organizations/ownership/accept", new { token, user = new { first_name = "Nu", last_name = "Owner", password = Scenario.Password } });

        weak.EnsureError(HttpStatusCode.UnprocessableEntity);
        accepted.EnsureStatus(HttpStatusCode.OK);
        var membership = await app.MembershipAsync(org.Uid, nominee);
        Assert.Equal(OrgRole.Owner, membership!.Role);
        Assert.Equal("Nu", membership.FirstName);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, owner.Email))!.Role);
        (await (await app.SignedInAsync(nominee)).GetAsync($"/v3/organizations/{org.Uid}/share")).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheMemberEndpoints()
    {
        var document = (await app.Client().GetAsync("/openapi/v1.json")).EnsureStatus(HttpStatusCode.OK).Body;

        foreach (var path in new[]
        {
            "/v3/organizations/{organizationUid}/share", "/v3/organizations/{organizationUid}/share/search",
            "/v3/organizations/{organizationUid}/share/{shareUid}/resend_invitation", "/v3/organizations/{organizationUid}/{shareUid}/resend_invitation",
            "/v3/organizations/{organizationUid}/transfer-ownership", "/v3/organizations/invitations/accept", "/v3/organizations/ownership/accept",
        })
            Assert.Contains($"\"{path}\"", document);
    }
}
