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

/// <summary>People in organizations for the account-security tests (memberships inserted directly, no invitation flow).</summary>
public static class AccountsScenario
{
    public const string Password = Scenario.Password;

    public static string UniqueEmail(string prefix) => $"{prefix}.{Guid.NewGuid().ToString("n")[..8]}@example.test";

    /// <summary>An account with the given role in the organization (a new account unless one exists for the email).</summary>
    public static async Task<User> AddAccountMemberAsync(this AppFactory app, string organizationUid, string email, OrgRole role = OrgRole.Member, string password = Password)
    {
        await using var scope = app.Scope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>();
        var clock = services.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        email = Emails.Normalize(email);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Email == email);
        if (user is null)
        {
            user = new User
            {
                Uid = Ids.New(), Email = email, FirstName = "Mia", LastName = "Member",
                PasswordHash = services.GetRequiredService<Passwords>().Hash(password), CreatedAt = now, UpdatedAt = now,
            };
            db.Users.Add(user);
        }
        var membership = new Membership
        {
            Uid = Ids.New(), OrganizationUid = organizationUid, Email = email, UserUid = user.Uid, Role = role,
            Status = MembershipStatus.Accepted, InvitedAt = now, AcceptedAt = now, CreatedAt = now, UpdatedAt = now,
        };
        membership.SetName(user.FirstName, user.LastName);
        db.Memberships.Add(membership);
        await db.SaveChangesAsync();
        return user;
    }

    public static Task<User> UserAsync(this AppFactory app, string email) =>
        app.WithDbAsync(db => db.Users.AsNoTracking().FirstAsync(u => u.Email == Emails.Normalize(email)));

    public static Task<List<OutboxMessage>> MailsAsync(this AppFactory app, string email, string? kind = null) =>
        app.WithDbAsync(db => db.OutboxMessages.AsNoTracking()
            .Where(m => m.ToAddress == Emails.Normalize(email) && (kind == null || m.Kind == kind)).OrderBy(m => m.Id).ToListAsync());

    /// <summary>The token of the newest link of that kind mailed to the address, as the user would copy it.</summary>
    public static async Task<string> TokenFromMailAsync(this AppFactory app, string email, string kind)
    {
        var mails = await app.MailsAsync(email, kind);
        Assert.NotEmpty(mails);
        var match = Regex.Match(mails[^1].TextBody, "token=([A-Za-z0-9_-]+)");
        Assert.True(match.Success, "no token link in: " + mails[^1].TextBody);
        return match.Groups[1].Value;
    }

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
