namespace Orgstack.Core.Organizations;

/// <summary>The top-level tenant. Its uid never changes; its name changes only through the operator CLI.</summary>
public sealed class Organization
{
    public required string Uid { get; init; }
    public required string Name { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    public string PlanId { get; set; } = "starter";
    public string PlanName { get; set; } = "Starter";
    public int MaxUsers { get; set; } = 1000;
    public int MaxStacks { get; set; } = 100;
    public DateTimeOffset? PlanExpiresAt { get; set; }

    /// <summary>Billing details: visible to the Owner only.</summary>
    public string? BillingEmail { get; set; }
    public string? BillingAddress { get; set; }
    public string? BillingPaymentMethod { get; set; }
}

public enum OrgRole
{
    Member = 0,
    Admin = 1,
    Owner = 2,
}

/// <summary>The fixed organization roles and what each may do. Checked by every use case, never only by a face.</summary>
public static class OrgPermissions
{
    public static bool CanAdminister(OrgRole role) => role is OrgRole.Owner or OrgRole.Admin;

    public static bool CanSeeBilling(OrgRole role) => role == OrgRole.Owner;

    public static bool CanTransferOwnership(OrgRole role) => role == OrgRole.Owner;

    /// <summary>Owner and Admin may hand out Admin or Member; nobody hands out Owner except through a transfer.</summary>
    public static bool CanAssign(OrgRole actorRole, OrgRole newRole) =>
        CanAdminister(actorRole) && newRole is OrgRole.Admin or OrgRole.Member;
}
