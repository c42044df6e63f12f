using Orgstack.Core.Accounts;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

public sealed record LoginRequest(LoginUser? User);
public sealed record LoginUser(string? Email, string? Password, string? TfaToken);

public static class SessionEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        v3.MapPost("/user-session", async (LoginRequest? body, HttpContext http, SignIn signIn, UserDirectory users, CancellationToken ct) =>
        {
            var result = await signIn.HandleAsync(new SignIn.Request(body?.User?.Email, body?.User?.Password, body?.User?.TfaToken,
                http.RemoteAddress(), http.Request.Headers.UserAgent.ToString()), ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var organizations = await users.OrganizationsAsync(result.Value.User.Uid, Paging.Flag(http.Request, "include_orgs_roles"), ct);
            return Results.Json(new { notice = "Login Successful.", user = Wire.User(result.Value.User, result.Value.Token, organizations) });
        }).WithTags("Session").WithSummary("Sign in with email and password; answers the user with an authtoken.");

        v3.MapDelete("/user-session", async (HttpContext http, SessionTokens tokens, CancellationToken ct) =>
        {
            var token = SessionAuthentication.TokenFrom(http.Request);
            if (token is null || await tokens.RevokeAsync(token, ct) == 0) return ApiResults.Error(Core.Common.CommonErrors.NotSignedIn);
            return Results.Json(new { notice = "You've logged out successfully!" });
        }).WithTags("Session").WithSummary("Sign out: revokes the presented authtoken.");
    }
}
