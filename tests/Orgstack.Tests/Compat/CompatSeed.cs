using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Compat;

/// <summary>
/// Rows the compatibility scenarios start from, written straight through OrgstackDbContext (the invitation and stack
/// use cases are built elsewhere): members and invitations (through <see cref="People"/>), stacks with their built-in
/// roles. Each test calls <see cref="NewOrganizationAsync"/> so its data is its own.
/// </summary>
public static class CompatSeed
{
    public sealed record Org(string Uid, string Name, string OwnerEmail, string OwnerUid, string Tag)
    {
        /// <summary>A fresh address unique to this test.</summary>
        public string Email(string local) => $"{local}.{Tag}@compat.example.test";
    }

    public static async Task<Org> NewOrganizationAsync(this AppFactory app, string name, string? ownerEmail = null)
    {
        var tag = Guid.NewGuid().ToString("n")[..10];
        var email = ownerEmail ?? $"owner.{tag}@compat.example.test";
        var organization = await app.CreateOrganizationAsync(name + " " + tag, email);
        var ownerUid = await app.WithDbAsync(db => Task.FromResult(db.Users.Single(u => u.Email == email).Uid));
        return new Org(organization.Uid, organization.Name, email, ownerUid, tag);
    }

    /// <summary>A person to add to the organization, invited by its Owner unless said otherwise.</summary>
    public static MemberBuilder Member(this AppFactory app, Org org, string email, OrgRole role = OrgRole.Member) =>
        app.Member(org.Uid, email, role).InvitedBy(org.OwnerUid);

    /// <summary>Many accepted members in one transaction (for the CLI export's paging).</summary>
    public static async Task<IReadOnlyList<string>> AddManyMembersAsync(this AppFactory app, Org org, int count, OrgRole role)
    {
        await using var scope = app.Scope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        var hash = scope.ServiceProvider.GetRequiredService<Passwords>().Hash(Scenario.Password);
        var emails = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var email = org.Email($"bulk{i:D4}");
            var user = new User { Uid = Ids.New(), Email = email, FirstName = "Bulk", LastName = $"{i:D4}", PasswordHash = hash, CreatedAt = now, UpdatedAt = now };
            var membership = new Membership
            {
                Uid = Ids.New(), OrganizationUid = org.Uid, Email = email, UserUid = user.Uid, Role = role,
                Status = MembershipStatus.Accepted, InvitedByUserUid = org.OwnerUid, InvitedAt = now, AcceptedAt = now,
                CreatedAt = now, UpdatedAt = now,
            };
            membership.SetName(user.FirstName, user.LastName);
            db.Users.Add(user);
            db.Memberships.Add(membership);
            emails.Add(email);
        }
        await db.SaveChangesAsync();
        return emails;
    }

    /// <summary>A stack owned by the organization's Owner, with the built-in roles Admin, Developer, Content Manager.</summary>
    public static Task<TestStack> AddStackAsync(this AppFactory app, Org org, string name) => app.CreateStackAsync(org.Uid, org.OwnerUid, name);
}
