using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Tests.Support;

public sealed record TestStack(string Uid, string ApiKey, string Name, IReadOnlyDictionary<string, string> Roles);

/// <summary>Members, invitations and stacks for tests, built through the real use cases (stacks directly in the database).</summary>
public static class MembersScenario
{
    public static async Task<T> UseAsync<T>(this WebApplicationFactory<Program> app, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    public static Task<T> DbAsync<T>(this WebApplicationFactory<Program> app, Func<OrgstackDbContext, Task<T>> action) =>
        app.UseAsync(sp => action(sp.GetRequiredService<OrgstackDbContext>()));

    public static async Task<Result<TResult>> RunAsync<TUseCase, TResult>(this WebApplicationFactory<Program> app, Func<TUseCase, Task<Result<TResult>>> action)
        where TUseCase : notnull =>
        await app.UseAsync(sp => action(sp.GetRequiredService<TUseCase>()));

    public static Task<Actor> ActorAsync(this WebApplicationFactory<Program> app, string email) =>
        app.DbAsync(async db =>
        {
            var user = await db.Users.AsNoTracking().FirstAsync(u => u.Email == email);
            return new Actor(user.Uid, user.Email, "127.0.0.1");
        });

    /// <summary>An organization with a unique name and owner; returns the org and the owner's actor.</summary>
    public static async Task<(Organization Org, Actor Owner)> NewOrganizationAsync(this AppFactory app, string? ownerEmail = null)
    {
        ownerEmail ??= $"owner-{Guid.NewGuid():n}@example.test";
        var org = await app.CreateOrganizationAsync("Org " + Guid.NewGuid().ToString("n")[..6], ownerEmail);
        return (org, await app.ActorAsync(ownerEmail));
    }

    public static readonly string[] BuiltInStackRoles = ["Admin", "Developer", "Content Manager"];

    /// <summary>A stack written directly to the database with the built-in roles Admin, Developer and Content Manager.</summary>
    public static async Task<TestStack> CreateStackAsync(this WebApplicationFactory<Program> app, string organizationUid, string ownerUserUid, string name = "Website")
    {
        return await app.DbAsync(async db =>
        {
            var now = DateTimeOffset.UtcNow;
            var stack = new Stack { Uid = Ids.New(), ApiKey = Ids.New(), OrganizationUid = organizationUid, Name = name, OwnerUserUid = ownerUserUid, CreatedAt = now, UpdatedAt = now };
            db.Stacks.Add(stack);
            var roles = new Dictionary<string, string>();
            foreach (var roleName in BuiltInStackRoles)
            {
                var role = new StackRole { Uid = Ids.New(), StackUid = stack.Uid, Name = roleName, BuiltIn = true, CreatedByUserUid = ownerUserUid, CreatedAt = now, UpdatedAt = now };
                db.StackRoles.Add(role);
                roles[roleName] = role.Uid;
            }
            await db.SaveChangesAsync();
            return new TestStack(stack.Uid, stack.ApiKey, name, roles);
        });
    }

    public static async Task<IReadOnlyList<InviteMembers.Outcome>> InviteAsync(this WebApplicationFactory<Program> app, string organizationUid, Actor actor,
        params InviteMembers.Invitee[] invitees)
    {
        var result = await app.RunAsync<InviteMembers, IReadOnlyList<InviteMembers.Outcome>>(u =>
            u.HandleAsync(new InviteMembers.Request(organizationUid, invitees), actor, CancellationToken.None));
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    public static InviteMembers.Invitee Invitee(string email, string role = "member", TestStack? stack = null, params string[] stackRoles) =>
        new(email, [role], stack is null ? null : new Dictionary<string, IReadOnlyList<string>> { [stack.ApiKey] = stackRoles.Select(r => stack.Roles[r]).ToList() });

    /// <summary>The mails to an address (of one kind, if given), oldest first.</summary>
    public static Task<List<OutboxMessage>> MailsToAsync(this WebApplicationFactory<Program> app, string to, string? kind = null) =>
        app.DbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.ToAddress == Emails.Normalize(to) && (kind == null || m.Kind == kind)).OrderBy(m => m.Id).ToListAsync());

    /// <summary>The token of the newest mail of that kind to that address, read from its link.</summary>
    public static async Task<string> LatestTokenAsync(this WebApplicationFactory<Program> app, string to, string kind = "invitation")
    {
        var mails = await app.MailsToAsync(to, kind);
        Assert.NotEmpty(mails);
        return TokenIn(mails[^1].TextBody);
    }

    public static string TokenIn(string text)
    {
        var match = Regex.Match(text, @"\?token=([A-Za-z0-9_\-%]+)");
        Assert.True(match.Success, "No link in: " + text);
        return Uri.UnescapeDataString(match.Groups[1].Value);
    }

    public static Task<Membership?> MembershipAsync(this WebApplicationFactory<Program> app, string organizationUid, string email) =>
        app.DbAsync(db => db.Memberships.AsNoTracking().FirstOrDefaultAsync(m => m.OrganizationUid == organizationUid && m.Email == email));

    public static Task<bool> AuditedAsync(this WebApplicationFactory<Program> app, string organizationUid, string eventType, string? targetLabel = null) =>
        app.DbAsync(db => db.AuditEvents.AnyAsync(e => e.OrganizationUid == organizationUid && e.EventType == eventType && (targetLabel == null || e.TargetLabel == targetLabel)));

    public static async Task<ApiClient> SignedInAsync(this WebApplicationFactory<Program> app, string email)
    {
        var client = new ApiClient(app.CreateClient());
        await client.LoginAsync(email, Scenario.Password);
        return client;
    }

    public static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("n")[..8]}@example.test";
}
