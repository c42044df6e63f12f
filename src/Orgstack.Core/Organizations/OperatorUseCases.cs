using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Organizations;

public static class OrganizationErrors
{
    public static readonly Error NameRequired = Error.Validation("organization.name_required", "The organization needs a name (1 to 200 characters, no control characters).", "name");
    public static readonly Error NotFound = CommonErrors.OrganizationNotFound;
    public static readonly Error OwnerPasswordRequired = Error.Validation("organization.owner_password_required", "The Owner has no account yet: give a password for it.", "password");

    public static Error? CheckName(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200 || name.Any(char.IsControl) ? NameRequired : null;
}

/// <summary>
/// Creates an organization with its Owner (an existing account, or a new one with the given password).
/// Used by the operator CLI, the bootstrap settings and the first-run setup page.
/// </summary>
public sealed class CreateOrganization(OrgstackDbContext db, Passwords passwords, TimeProvider clock)
{
    public sealed record Request(string Name, string OwnerEmail, string? OwnerPassword, string FirstName = "", string LastName = "");

    public async Task<Result<Organization>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (OrganizationErrors.CheckName(request.Name) is { } nameError) return nameError;
        if (!Emails.IsValid(request.OwnerEmail)) return Error.Validation("organization.owner_email_invalid", "The Owner's email address is not valid.", "email");
        var email = Emails.Normalize(request.OwnerEmail);
        var now = clock.GetUtcNow();

        var user = await db.Users.FirstOrDefaultAsync(u => u.Email == email, ct);
        if (user is null)
        {
            if (request.OwnerPassword is null) return OrganizationErrors.OwnerPasswordRequired;
            if (passwords.CheckPolicy(request.OwnerPassword, email) is { } policy) return policy;
            user = new User
            {
                Uid = Ids.New(), Email = email, FirstName = request.FirstName.Trim(), LastName = request.LastName.Trim(),
                PasswordHash = passwords.Hash(request.OwnerPassword), CreatedAt = now, UpdatedAt = now,
            };
            db.Users.Add(user);
        }

        var organization = new Organization { Uid = Ids.New(), Name = request.Name.Trim(), CreatedAt = now, UpdatedAt = now };
        db.Organizations.Add(organization);
        var owner = new Membership
        {
            Uid = Ids.New(), OrganizationUid = organization.Uid, Email = email, UserUid = user.Uid, Role = OrgRole.Owner,
            Status = MembershipStatus.Accepted, InvitedAt = now, AcceptedAt = now, CreatedAt = now, UpdatedAt = now,
            LastLoginAt = user.LastLoginAt,
        };
        owner.SetName(user.FirstName, user.LastName);
        db.Memberships.Add(owner);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, organization.Uid, "organization", "create", "organization", organization.Uid, organization.Name,
            new { owner = email }));
        await db.SaveChangesAsync(ct);
        return organization;
    }
}

/// <summary>Operator-only: the organization admin API and console cannot rename an organization.</summary>
public sealed class RenameOrganization(OrgstackDbContext db, TimeProvider clock)
{
    public async Task<Result<Organization>> HandleAsync(string organizationUid, string newName, Actor actor, CancellationToken ct)
    {
        if (OrganizationErrors.CheckName(newName) is { } nameError) return nameError;
        var organization = await db.Organizations.FirstOrDefaultAsync(o => o.Uid == organizationUid, ct);
        if (organization is null) return OrganizationErrors.NotFound;
        var now = clock.GetUtcNow();
        var old = organization.Name;
        organization.Name = newName.Trim();
        organization.UpdatedAt = now;
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, organization.Uid, "organization", "rename", "organization", organization.Uid, organization.Name,
            new { from = old, to = organization.Name }));
        await db.SaveChangesAsync(ct);
        return organization;
    }
}

/// <summary>Operator-only: set an organization's plan and its limits.</summary>
public sealed class SetPlan(OrgstackDbContext db, TimeProvider clock)
{
    public sealed record Request(string OrganizationUid, string? PlanId, string? PlanName, int? MaxUsers, int? MaxStacks, DateTimeOffset? ExpiresAt, bool ClearExpiry = false);

    public async Task<Result<Organization>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (request.MaxUsers is < 1 or > 100_000_000) return Error.Validation("plan.max_users", "The user limit must be between 1 and 100,000,000.", "max_users");
        if (request.MaxStacks is < 0 or > 1_000_000) return Error.Validation("plan.max_stacks", "The stack limit must be between 0 and 1,000,000.", "max_stacks");
        var organization = await db.Organizations.FirstOrDefaultAsync(o => o.Uid == request.OrganizationUid, ct);
        if (organization is null) return OrganizationErrors.NotFound;
        var now = clock.GetUtcNow();
        if (request.PlanId is { Length: > 0 }) organization.PlanId = request.PlanId.Trim();
        if (request.PlanName is { Length: > 0 }) organization.PlanName = request.PlanName.Trim();
        if (request.MaxUsers is { } users) organization.MaxUsers = users;
        if (request.MaxStacks is { } stacks) organization.MaxStacks = stacks;
        if (request.ExpiresAt is { } expires) organization.PlanExpiresAt = expires;
        if (request.ClearExpiry) organization.PlanExpiresAt = null;
        organization.UpdatedAt = now;
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, organization.Uid, "organization", "set_plan", "organization", organization.Uid, organization.Name,
            new { plan_id = organization.PlanId, max_users = organization.MaxUsers, max_stacks = organization.MaxStacks, expires_at = organization.PlanExpiresAt }));
        await db.SaveChangesAsync(ct);
        return organization;
    }
}
