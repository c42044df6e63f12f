using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Security;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Compat;

/// <summary>Two-factor set-up for the compatibility scenarios, through the Core use cases the API endpoints call.</summary>
public static class CompatMfa
{
    /// <summary>
    /// Enrols and confirms TOTP for the user; returns the base32 secret the SDK's mfaSecret and the CLI's
    /// CONTENTSTACK_MFA_SECRET take. The confirmation uses the previous step's code (the server accepts ±1 step), so the
    /// client's code for the current step is not a replay of it.
    /// </summary>
    public static async Task<string> CompatEnrollTotpAsync(this AppFactory app, string userUid, string email)
    {
        await using var scope = app.Scope();
        var services = scope.ServiceProvider;
        var actor = new Actor(userUid, email);
        var enrolled = await services.GetRequiredService<EnrollTwoFactor>().HandleAsync(Done.Value, actor, CancellationToken.None);
        Assert.True(enrolled.IsSuccess, $"enrol: {enrolled.Error?.Message}");
        var secret = enrolled.Value.Secret;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var code = Totp.Code(Base32.Decode(secret)!, Totp.StepAt(now) - 1);
        var confirmed = await services.GetRequiredService<ConfirmTwoFactor>().HandleAsync(code, actor, CancellationToken.None);
        Assert.True(confirmed.IsSuccess, $"confirm: {confirmed.Error?.Message}");
        return secret;
    }
}
