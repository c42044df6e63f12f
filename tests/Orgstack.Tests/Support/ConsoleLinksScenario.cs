using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Data;
using Orgstack.Core.Security;

namespace Orgstack.Tests.Support;

/// <summary>Helpers for the console's sign-in steps and emailed-link pages (prefix: Links).</summary>
public static class ConsoleLinksScenario
{
    /// <summary>Turns TOTP on for an account as a confirmed enrolment would; answers the secret and its recovery codes.</summary>
    public static async Task<(byte[] Secret, string[] RecoveryCodes)> LinksEnableTotpAsync(this AppFactory app, string email)
    {
        await using var scope = app.Scope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var twoFactor = scope.ServiceProvider.GetRequiredService<TwoFactor>();
        var user = await db.Users.SingleAsync(u => u.Email == email);
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(20);
        user.TotpSecret = twoFactor.Protect(secret);
        user.TotpEnabled = true;
        user.TotpLastStep = null;
        var codes = await twoFactor.NewRecoveryCodesAsync(user.Uid, CancellationToken.None);
        await db.SaveChangesAsync();
        return (secret, codes);
    }

    public static string LinksCurrentCode(byte[] secret) => Totp.Code(secret, Totp.StepAt(DateTimeOffset.UtcNow));

    /// <summary>The path and query of the newest link of that kind mailed to the address (the mail points at the public URL).</summary>
    public static async Task<string> LinksPathFromMailAsync(this AppFactory app, string email, string kind)
    {
        var mails = await app.MailsToAsync(email, kind);
        Assert.NotEmpty(mails);
        var match = Regex.Match(mails[^1].TextBody, @"https?://[^/\s]+(/[^\s]*\?token=[A-Za-z0-9_\-%]+)");
        Assert.True(match.Success, "no link in: " + mails[^1].TextBody);
        return match.Groups[1].Value;
    }

    public static Task LinksUpdateUserAsync(this AppFactory app, string email, Action<User> change) =>
        app.WithDbAsync(async db =>
        {
            var user = await db.Users.SingleAsync(u => u.Email == email);
            change(user);
            return await db.SaveChangesAsync();
        });
}
