using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
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
            if (!result.IsSuccess) return SecurityResults.Error(result.Error!);
            var organizations = await users.OrganizationsAsync(result.Value.User.Uid, Paging.Flag(http.Request, "include_orgs_roles"), ct);
            return Results.Json(new { notice = "Login Successful.", user = Wire.User(result.Value.User, result.Value.Token, organizations) });
        }).WithTags("Session").WithSummary("Sign in with email and password (and tfa_token when two-factor is on); answers the user with an authtoken.");

        v3.MapDelete("/user-session", async (HttpContext http, SessionTokens tokens, CancellationToken ct) =>
        {
            var token = SessionAuthentication.TokenFrom(http.Request);
            if (token is null || await tokens.RevokeAsync(token, ct) == 0) return ApiResults.Error(CommonErrors.NotSignedIn);
            return Results.Json(new { notice = "You've logged out successfully!" });
        }).WithTags("Session").WithSummary("Sign out: revokes the presented authtoken.");
    }
}

/// <summary>Error answers of the account endpoints; a rate limit leaves as the contract's exact 429 with retry-after.</summary>
public static class SecurityResults
{
    public static IResult Error(Error error)
    {
        if (error.Kind != ErrorKind.RateLimited) return ApiResults.Error(error);
        var retry = error.Fields?.TryGetValue("retry_after", out var values) == true ? values[0] : "1";
        return new RateLimitedResult(retry);
    }

    private sealed class RateLimitedResult(string retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = retryAfter;
            return http.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["error_message"] = "Too many requests", ["error_code"] = 429 });
        }
    }
}
