using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Security;

namespace Orgstack.Tests.Support;

/// <summary>The server with a fake clock and generous rate limits (tests of limits lower them).</summary>
public class SecurityAppFactory : AppFactory
{
    public TestClock Clock { get; } = new();

    public SecurityAppFactory()
    {
        Settings["Orgstack:RateLimits:SignInPerAccount"] = "10000";
        Settings["Orgstack:RateLimits:SignInPerAddress"] = "10000";
        Settings["Orgstack:RateLimits:ResetPerAccount"] = "10000";
        Settings["Orgstack:RateLimits:ResetPerAddress"] = "10000";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>Accounts, mail and audit lookups for the account-security tests (members come from <see cref="People"/>).</summary>
public static class AccountsScenario
{
    public const string Password = Scenario.Password;

    public static string UniqueEmail(string prefix) => $"{prefix}.{Guid.NewGuid().ToString("n")[..8]}@example.test";

    public static Task<User> UserAsync(this AppFactory app, string email) =>
        app.WithDbAsync(db => db.Users.AsNoTracking().FirstAsync(u => u.Email == Emails.Normalize(email)));

    public static Task<List<Orgstack.Core.Audit.AuditEvent>> AuditAsync(this AppFactory app, string eventType, string targetUid) =>
        app.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.EventType == eventType && e.TargetUid == targetUid).ToListAsync());

    /// <summary>Turns TOTP on for the signed-in client's account through the API; answers the secret and recovery codes.</summary>
    public static async Task<(byte[] Secret, string[] RecoveryCodes)> EnrollTotpAsync(this ApiClient client, TestClock clock)
    {
        var enrolled = (await client.PostAsync("/v3/user/two_factor/enroll", new { })).EnsureStatus(System.Net.HttpStatusCode.OK).Json;
        var secret = Base32.Decode(enrolled["two_factor"]!["secret"]!.GetValue<string>())!;
        var code = Totp.Code(secret, Totp.StepAt(clock.GetUtcNow()));
        var confirmed = (await client.PostAsync("/v3/user/two_factor/confirm", new { code })).EnsureStatus(System.Net.HttpStatusCode.OK).Json;
        var codes = confirmed["recovery_codes"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        return (secret, codes);
    }

    public static Task<ApiResponse> SignInAsync(this ApiClient client, string email, string password, string? tfaToken = null) =>
        client.PostAsync("/v3/user-session", new { user = new { email, password, tfa_token = tfaToken } });
}
