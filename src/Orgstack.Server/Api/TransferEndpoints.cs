using Orgstack.Core.Members;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>Organization ownership transfer: start, cancel, accept.</summary>
public static class TransferEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var organizations = v3.MapGroup("/organizations").RequireSession().WithTags("Ownership transfer");

        organizations.MapPost("/{organizationUid}/transfer-ownership", async (string organizationUid, HttpContext http, StartOwnershipTransfer start, CancellationToken ct) =>
        {
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            if (!ShareWire.TryGet(body, "transfer_to", out var to) || to.ValueKind != System.Text.Json.JsonValueKind.String)
                return ShareWire.Invalid("transfer_to", "Give the nominee's address as {\"transfer_to\":\"…\"}.");
            var result = await start.HandleAsync(new StartOwnershipTransfer.Request(organizationUid, to.GetString()), http.Actor()!, ct);
            return ApiResults.From(result, t => new
            {
                notice = "An email has been sent to the nominee. Ownership moves once they accept.",
                transfer = Transfer(t),
            });
        }).WithSummary("Offer the organization's ownership to an email (Owner only; one pending offer at a time).");

        organizations.MapDelete("/{organizationUid}/transfer-ownership", async (string organizationUid, HttpContext http, CancelOwnershipTransfer cancel, CancellationToken ct) =>
        {
            var result = await cancel.HandleAsync(organizationUid, http.Actor()!, ct);
            return ApiResults.From(result, t => new { notice = "The ownership transfer has been cancelled.", transfer = Transfer(t) });
        }).WithSummary("Cancel the pending ownership transfer (Owner only).");

        // Signed in as the nominee, or without an account yet: {token, user:{first_name,last_name,password}} creates it.
        v3.MapPost("/organizations/ownership/accept", async (HttpContext http, AcceptOwnershipTransfer accept, CancellationToken ct) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            if (SessionAuthentication.TokenFrom(http.Request) is not null && http.Actor() is null) return ApiResults.Error(Core.Common.CommonErrors.NotSignedIn);
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            string? Text(System.Text.Json.JsonElement? element, string name) =>
                ShareWire.TryGet(element, name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
            var user = ShareWire.TryGet(body, "user", out var u) ? u : (System.Text.Json.JsonElement?)null;
            var result = await accept.HandleAsync(new AcceptOwnershipTransfer.Request(Text(body, "token"), Text(user, "first_name"), Text(user, "last_name"),
                Text(user, "password"), http.RemoteAddress()), http.Actor(), ct);
            return ApiResults.From(result, m => new
            {
                notice = "You are now the Owner of the organization.",
                organization = new { uid = m.OrganizationUid },
                share = ShareWire.Share(m),
            });
        }).WithTags("Ownership transfer").WithSummary("Accept an ownership transfer by its emailed token (signed in as the nominee, or creating the nominee's account).");
    }

    private static Dictionary<string, object?> Transfer(Core.Organizations.OwnershipTransfer t) => new()
    {
        ["uid"] = t.Uid,
        ["org_uid"] = t.OrganizationUid,
        ["transfer_to"] = t.ToEmail,
        ["status"] = t.Status.ToString().ToLowerInvariant(),
        ["created_at"] = Wire.Time(t.CreatedAt),
        ["expires_at"] = Wire.Time(t.ExpiresAt),
    };
}
