using Orgstack.Core.Accounts;
using Orgstack.Server.Api;
using Orgstack.Server.Auth;
using Orgstack.Server.Hosting;

namespace Orgstack.Server.Security;

/// <summary>
/// The gate that keeps a user whose MFA was reset on the enrolment endpoints (Data Protection, which encrypts the
/// TOTP secrets, keeps its key ring in the database: see DataProtectionModule).
/// </summary>
public sealed class AccountSecurityModule : IServerModule
{
    public void UseMiddleware(WebApplication app) => app.Use(async (context, next) =>
    {
        // The console has its own gate (it sends the user to its enrolment page): see AllowedWhileEnrollingMfaAttribute.
        if (context.SignedInUser() is { MustEnrollMfa: true } && !Console.ConsoleRequest.Is(context) && !AllowedWhileEnrolling(context.Request))
        {
            await ApiResults.Error(TwoFactorErrors.Mandatory).ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    private static bool AllowedWhileEnrolling(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        return path.StartsWith("/v3/user/two_factor", StringComparison.OrdinalIgnoreCase)
            || (path.Equals("/v3/user", StringComparison.OrdinalIgnoreCase) && HttpMethods.IsGet(request.Method))
            || path.Equals("/v3/user-session", StringComparison.OrdinalIgnoreCase);
    }
}

