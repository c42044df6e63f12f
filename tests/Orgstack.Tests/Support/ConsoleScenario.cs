using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Tests.Support;

/// <summary>People and stacks for console tests, and a cookie-keeping HTTP client that fills the console's forms.</summary>
public static partial class ConsoleScenario
{
    /// <summary>
    /// Adds an accepted membership with an account. Written to the database directly: the invitation use cases are
    /// built on another branch, and this only sets up the state the console reads.
    /// </summary>
    public static async Task<Membership> AddConsoleMemberAsync(this AppFactory app, string organizationUid, string email, OrgRole role = OrgRole.Member,
        string firstName = "Mia", string lastName = "Member", DateTimeOffset? lastLoginAt = null)
    {
        var passwords = new Passwords(new OrgstackOptions { Passwords = { Iterations = 1000 } });
        return await app.WithDbAsync(async db =>
        {
            var now = DateTimeOffset.UtcNow;
            var user = db.Users.FirstOrDefault(u => u.Email == email);
            if (user is null)
            {
                user = new User { Uid = Ids.New(), Email = email, FirstName = firstName, LastName = lastName, PasswordHash = passwords.Hash(Scenario.Password), CreatedAt = now, UpdatedAt = now, LastLoginAt = lastLoginAt };
                db.Users.Add(user);
            }
            var membership = new Membership
            {
                Uid = Ids.New(), OrganizationUid = organizationUid, Email = email, UserUid = user.Uid, Role = role, Status = MembershipStatus.Accepted,
                InvitedAt = now, AcceptedAt = now, CreatedAt = now, UpdatedAt = now, LastLoginAt = lastLoginAt,
            };
            membership.SetName(firstName, lastName);
            db.Memberships.Add(membership);
            await db.SaveChangesAsync();
            return membership;
        });
    }

    public static async Task<Membership> AddConsoleInvitationAsync(this AppFactory app, string organizationUid, string email, OrgRole role = OrgRole.Member) =>
        await app.WithDbAsync(async db =>
        {
            var now = DateTimeOffset.UtcNow;
            var membership = new Membership
            {
                Uid = Ids.New(), OrganizationUid = organizationUid, Email = email, Role = role, Status = MembershipStatus.Pending,
                InvitedAt = now, InvitationExpiresAt = now.AddDays(7), CreatedAt = now, UpdatedAt = now,
            };
            membership.SetName("", "");
            db.Memberships.Add(membership);
            await db.SaveChangesAsync();
            return membership;
        });

    public static async Task<Stack> AddConsoleStackAsync(this AppFactory app, string organizationUid, string name, string ownerUserUid, params (Membership Member, string Role)[] roles) =>
        await app.WithDbAsync(async db =>
        {
            var now = DateTimeOffset.UtcNow;
            var stack = new Stack { Uid = Ids.New(), ApiKey = Ids.New(), OrganizationUid = organizationUid, Name = name, OwnerUserUid = ownerUserUid, CreatedAt = now, UpdatedAt = now };
            db.Stacks.Add(stack);
            foreach (var (member, roleName) in roles)
            {
                var role = db.StackRoles.Local.FirstOrDefault(r => r.StackUid == stack.Uid && r.Name == roleName);
                if (role is null)
                {
                    role = new StackRole { Uid = Ids.New(), StackUid = stack.Uid, Name = roleName, BuiltIn = true, CreatedAt = now, UpdatedAt = now };
                    db.StackRoles.Add(role);
                }
                db.StackRoleAssignments.Add(new StackRoleAssignment { StackUid = stack.Uid, MembershipUid = member.Uid, RoleUid = role.Uid, CreatedAt = now });
            }
            await db.SaveChangesAsync();
            return stack;
        });

    public static HttpClient ConsoleClient(this AppFactory app, bool https = false) =>
        app.CreateClient(new WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = true,
            BaseAddress = new Uri(https ? "https://localhost" : "http://localhost"),
        });

    /// <summary>The antiforgery field of the first form on a page.</summary>
    public static string Antiforgery(string html) => AntiforgeryField().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new Xunit.Sdk.XunitException("No antiforgery field in the page.");

    /// <summary>GETs a page and POSTs its form with the given fields plus the antiforgery token.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(this HttpClient client, string path, IDictionary<string, string> fields, string? postPath = null)
    {
        var page = await client.GetStringAsync(path);
        var form = new Dictionary<string, string>(fields) { ["__csrf"] = Antiforgery(page) };
        return await client.PostAsync(postPath ?? path, new FormUrlEncodedContent(form));
    }

    public static async Task<HttpResponseMessage> SignInAsync(this HttpClient client, string email, string password = Scenario.Password, string path = "/sign-in") =>
        await client.SubmitAsync(path, new Dictionary<string, string> { ["Email"] = email, ["Password"] = password });

    public static string SetupToken(this KestrelApp app)
    {
        var line = app.Logs.Messages.LastOrDefault(m => m.Contains("/setup?token=", StringComparison.Ordinal))
                   ?? throw new Xunit.Sdk.XunitException("No setup link in the log.");
        return Uri.UnescapeDataString(SetupTokenPattern().Match(line).Groups[1].Value);
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex(@"/setup\?token=([A-Za-z0-9_\-%]+)")]
    private static partial Regex SetupTokenPattern();
}
