using Orgstack.Core.Common;
using Orgstack.Core.Invitations;
using Orgstack.Core.Organizations;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>
/// The invitation link: describe it (GET, read-only, so a mail scanner consumes nothing) and accept it (POST), signed in
/// as the invited address or, for a new person, creating the account.
/// </summary>
public static class InvitationEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var invitations = v3.MapGroup("/organizations/invitations").WithTags("Invitations");

        invitations.MapGet("/{token}", async (string token, HttpContext http, DescribeInvitation describe, CancellationToken ct) =>
        {
            NoStore(http);
            var result = await describe.HandleAsync(token, http.Actor(), ct);
            return ApiResults.From(result, v => new
            {
                invitation = new Dictionary<string, object?>
                {
                    ["organization"] = new { uid = v.OrganizationUid, name = v.OrganizationName },
                    ["email"] = v.Email,
                    ["org_role"] = OrgRoles.NameOf(v.Role),
                    ["invited_by"] = v.InvitedBy,
                    ["expires_at"] = Wire.Time(v.ExpiresAt),
                },
            });
        }).WithSummary("What an invitation link offers (read-only).");

        invitations.MapPost("/accept", async (HttpContext http, AcceptInvitation accept, CancellationToken ct) =>
        {
            NoStore(http);
            // A presented but dead authtoken is an error, never a silent fall-back to creating an account.
            if (SessionAuthentication.TokenFrom(http.Request) is not null && http.Actor() is null) return ApiResults.Error(CommonErrors.NotSignedIn);
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            string? Text(System.Text.Json.JsonElement? element, string name) =>
                ShareWire.TryGet(element, name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
            var user = ShareWire.TryGet(body, "user", out var u) ? u : (System.Text.Json.JsonElement?)null;
            var request = new AcceptInvitation.Request(Text(body, "token"), Text(user, "first_name"), Text(user, "last_name"), Text(user, "password"), http.RemoteAddress());
            var result = await accept.HandleAsync(request, http.Actor(), ct);
            return ApiResults.From(result, a => new
            {
                notice = "The invitation has been accepted.",
                share = ShareWire.Share(a.Membership),
                user = new { uid = a.User.Uid, email = a.User.Email, first_name = a.User.FirstName, last_name = a.User.LastName, account_created = a.AccountCreated },
            });
        }).WithSummary("Accept an invitation: signed in as the invited address, or {token, user:{first_name,last_name,password}} for a new account.");
    }

    private static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
