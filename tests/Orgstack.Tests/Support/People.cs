using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Tests.Support;

/// <summary>A person in an organization, as tests use them. UserUid is "" for a pending invitation.</summary>
public sealed record Person(string UserUid, string Email, string MembershipUid, OrgRole Role)
{
    public Actor Actor => new(UserUid, Email, "127.0.0.1");

    /// <summary>A person acts as themselves wherever a use case takes an actor.</summary>
    public static implicit operator Actor(Person person) => person.Actor;
}

/// <summary>
/// Adds a person to an organization, the one way for every test area:
/// <code>
/// await app.Member(org.Uid).AddAsync();                                    // a Member with a unique address
/// await app.Member(org.Uid, OrgRole.Admin).AddAsync();
/// await app.Member(org.Uid, "bob@x.test", OrgRole.Admin).Named("Bob", "Builder").InvitedBy(ownerUid).LastLogin(at).AddAsync();
/// await app.Member(org.Uid).Pending().AddAsync();                          // an invitation not accepted yet
/// await app.Member(org.Uid, email).InviteAndAcceptAsync(owner, stack, "Developer");
/// </code>
/// <see cref="AddAsync"/> writes the rows directly (an account with <see cref="Scenario.Password"/>, reused if one
/// exists for the address, and an accepted membership), at the app's clock, without audit records or mail: for tests of
/// what reads them. <see cref="InviteAndAcceptAsync"/> goes through the real InviteMembers and AcceptInvitation use cases.
/// </summary>
public sealed class MemberBuilder(WebApplicationFactory<Program> app, string organizationUid, string email, OrgRole role)
{
    private string firstName = "Mia";
    private string lastName = "Member";
    private string? invitedByUserUid;
    private DateTimeOffset? lastLoginAt;
    private bool pending;
    private DateTimeOffset? invitationExpiresAt;

    public MemberBuilder Named(string first, string last)
    {
        (firstName, lastName) = (first, last);
        return this;
    }

    public MemberBuilder InvitedBy(string? userUid)
    {
        invitedByUserUid = userUid;
        return this;
    }

    /// <summary>The account's and the membership's last sign-in.</summary>
    public MemberBuilder LastLogin(DateTimeOffset? at)
    {
        lastLoginAt = at;
        return this;
    }

    /// <summary>An invitation (no account; valid for 7 days unless said otherwise) instead of an accepted membership.</summary>
    public MemberBuilder Pending(DateTimeOffset? expiresAt = null)
    {
        pending = true;
        invitationExpiresAt = expiresAt;
        return this;
    }

    public async Task<Person> AddAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<OrgstackDbContext>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var address = Emails.Normalize(email);
        User? user = null;
        if (!pending)
        {
            user = await db.Users.FirstOrDefaultAsync(u => u.Email == address);
            if (user is null)
            {
                user = new User
                {
                    Uid = Ids.New(), Email = address, FirstName = firstName, LastName = lastName,
                    PasswordHash = services.GetRequiredService<Passwords>().Hash(Scenario.Password), CreatedAt = now, UpdatedAt = now, LastLoginAt = lastLoginAt,
                };
                db.Users.Add(user);
            }
        }
        var membership = new Membership
        {
            Uid = Ids.New(), OrganizationUid = organizationUid, Email = address, UserUid = user?.Uid, Role = role,
            Status = pending ? MembershipStatus.Pending : MembershipStatus.Accepted, InvitedByUserUid = invitedByUserUid,
            InvitedAt = now, AcceptedAt = pending ? null : now, InvitationExpiresAt = pending ? invitationExpiresAt ?? now.AddDays(7) : null,
            CreatedAt = now, UpdatedAt = now, LastLoginAt = pending ? null : lastLoginAt,
        };
        membership.SetName(user?.FirstName ?? "", user?.LastName ?? "");
        db.Memberships.Add(membership);
        await db.SaveChangesAsync();
        return new Person(user?.Uid ?? "", address, membership.Uid, role);
    }

    /// <summary>Invited by <paramref name="inviter"/> (with those roles in the stack, if any) and accepted as a new account.</summary>
    public async Task<Person> InviteAndAcceptAsync(Actor inviter, TestStack? stack = null, params string[] stackRoles)
    {
        var outcome = await app.InviteAsync(organizationUid, inviter, MembersScenario.Invitee(email, OrgRoles.NameOf(role), stack, stackRoles));
        Assert.Null(outcome[0].Error);
        var token = await app.LatestTokenAsync(email);
        var accepted = await app.RunAsync<AcceptInvitation, AcceptInvitation.Accepted>(u =>
            u.HandleAsync(new AcceptInvitation.Request(token, firstName, lastName, Scenario.Password), null, CancellationToken.None));
        Assert.True(accepted.IsSuccess, accepted.Error?.Message);
        var membership = await app.MembershipAsync(organizationUid, Emails.Normalize(email));
        return new Person(membership!.UserUid!, membership.Email, membership.Uid, membership.Role);
    }
}

public static class People
{
    /// <summary>A person to add, with a unique address named after the role ("admin-1a2b3c4d@example.test").</summary>
    public static MemberBuilder Member(this WebApplicationFactory<Program> app, string organizationUid, OrgRole role = OrgRole.Member) =>
        new(app, organizationUid, MembersScenario.Unique(role.ToString().ToLowerInvariant()), role);

    public static MemberBuilder Member(this WebApplicationFactory<Program> app, string organizationUid, string email, OrgRole role = OrgRole.Member) =>
        new(app, organizationUid, email, role);
}
