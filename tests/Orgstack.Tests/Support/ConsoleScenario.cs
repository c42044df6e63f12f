using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Tests.Support;

/// <summary>Stacks for console tests, and a cookie-keeping HTTP client that fills the console's forms.</summary>
public static partial class ConsoleScenario
{
    public static async Task<Stack> AddConsoleStackAsync(this AppFactory app, string organizationUid, string name, string ownerUserUid, params (string MembershipUid, string Role)[] roles) =>
        await app.WithDbAsync(async db =>
        {
            var now = DateTimeOffset.UtcNow;
            var stack = new Stack { Uid = Ids.New(), ApiKey = Ids.New(), OrganizationUid = organizationUid, Name = name, OwnerUserUid = ownerUserUid, CreatedAt = now, UpdatedAt = now };
            db.Stacks.Add(stack);
            foreach (var (membershipUid, roleName) in roles)
            {
                var role = db.StackRoles.Local.FirstOrDefault(r => r.StackUid == stack.Uid && r.Name == roleName);
                if (role is null)
                {
                    role = new StackRole { Uid = Ids.New(), StackUid = stack.Uid, Name = roleName, BuiltIn = true, CreatedAt = now, UpdatedAt = now };
                    db.StackRoles.Add(role);
                }
                db.StackRoleAssignments.Add(new StackRoleAssignment { StackUid = stack.Uid, MembershipUid = membershipUid, RoleUid = role.Uid, CreatedAt = now });
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
