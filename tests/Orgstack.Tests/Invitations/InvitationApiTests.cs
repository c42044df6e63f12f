using System.Net;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Invitations;

public sealed class InvitationApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private async Task<(Organization Org, string Email, string Token)> InvitedAsync()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("api-invitee");
        await app.InviteAsync(org.Uid, owner, Invitee(email, "admin"));
        return (org, email, await app.LatestTokenAsync(email));
    }

    private static object NewAccount(string token, string password = Scenario.Password) =>
        new { token, user = new { first_name = "Ada", last_name = "Lovelace", password } };

    [Fact]
    public async Task GetInvitation_DescribesItWithoutConsumingIt_AndIsNotCapturedByOrganizationRoutes()
    {
        var (org, email, token) = await InvitedAsync();
        var client = app.Client();

        var response = await client.GetAsync($"/v3/organizations/invitations/{Uri.EscapeDataString(token)}");

        var invitation = response.EnsureStatus(HttpStatusCode.OK).Json["invitation"]!;
        Assert.Equal(org.Name, invitation["organization"]!["name"]!.GetValue<string>());
        Assert.Equal(email, invitation["email"]!.GetValue<string>());
        Assert.Equal("admin", invitation["org_role"]!.GetValue<string>());
        Assert.Null(invitation["account_exists"]);
        (await client.PostAsync("/v3/organizations/invitations/accept", NewAccount(token))).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AcceptInvitation_AsNewPerson_CreatesTheAccountOnce()
    {
        var (org, email, token) = await InvitedAsync();
        var client = app.Client();

        var accepted = (await client.PostAsync("/v3/organizations/invitations/accept", NewAccount(token))).EnsureStatus(HttpStatusCode.OK).Json;
        var again = await client.PostAsync("/v3/organizations/invitations/accept", NewAccount(token));
        var unknown = await client.PostAsync("/v3/organizations/invitations/accept", NewAccount("unknown-token"));

        Assert.Equal("accepted", accepted["share"]!["status"]!.GetValue<string>());
        Assert.Equal(email, accepted["user"]!["email"]!.GetValue<string>());
        Assert.Equal(again.EnsureError(HttpStatusCode.UnprocessableEntity).ToJsonString(), unknown.EnsureError(HttpStatusCode.UnprocessableEntity).ToJsonString());
        var signedIn = await app.SignedInAsync(email);
        (await signedIn.GetAsync($"/v3/organizations/{org.Uid}/share")).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AcceptInvitation_SignedInAsAnotherUser_Answers403()
    {
        var (_, _, token) = await InvitedAsync();
        var (_, other) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(other.Email);

        (await client.PostAsync("/v3/organizations/invitations/accept", new { token })).EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AcceptInvitation_ForAnExistingAccountWithoutSession_AsksToSignIn_ThenWorksSignedIn()
    {
        var (_, existing) = await app.NewOrganizationAsync();
        var (org, owner) = await app.NewOrganizationAsync();
        await app.InviteAsync(org.Uid, owner, Invitee(existing.Email));
        var token = await app.LatestTokenAsync(existing.Email);

        var anonymous = await app.Client().PostAsync("/v3/organizations/invitations/accept", NewAccount(token));
        var signedIn = await (await app.SignedInAsync(existing.Email)).PostAsync("/v3/organizations/invitations/accept", new { token });

        Assert.Equal("Sign in to accept this invitation.", anonymous.EnsureError(HttpStatusCode.Unauthorized)["error_message"]!.GetValue<string>());
        signedIn.EnsureStatus(HttpStatusCode.OK);
        Assert.Equal(MembershipStatus.Accepted, (await app.MembershipAsync(org.Uid, existing.Email))!.Status);
    }

    [Fact]
    public async Task AcceptInvitation_WithADeadAuthtoken_Answers401()
    {
        var (_, _, token) = await InvitedAsync();
        var client = app.Client();
        client.AuthToken = "csnot-a-real-token";

        (await client.PostAsync("/v3/organizations/invitations/accept", NewAccount(token))).EnsureError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AcceptInvitation_WithAWeakPassword_Answers422()
    {
        var (_, _, token) = await InvitedAsync();

        (await app.Client().PostAsync("/v3/organizations/invitations/accept", NewAccount(token, "12345678"))).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task GetInvitation_WithAnUnknownToken_Answers422WithTheGenericMessage()
    {
        var response = await app.Client().GetAsync("/v3/organizations/invitations/roles");

        Assert.Equal(MemberErrors.InvalidLink.Message, response.EnsureError(HttpStatusCode.UnprocessableEntity)["error_message"]!.GetValue<string>());
    }
}
