namespace Orgstack.Core.Stacks;

/// <summary>A workspace inside an organization. Its creator is its owner.</summary>
public sealed class Stack
{
    public required string Uid { get; init; }
    public required string ApiKey { get; init; }
    public required string OrganizationUid { get; init; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public string MasterLocale { get; init; } = "en-us";
    public required string OwnerUserUid { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A role inside one stack: built-in (Admin, Developer, Content Manager) or custom with permission rules.</summary>
public sealed class StackRole
{
    public required string Uid { get; init; }
    public required string StackUid { get; init; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public bool BuiltIn { get; init; }
    /// <summary>The role's permission rules as Contentstack's JSON array, kept verbatim.</summary>
    public string RulesJson { get; set; } = "[]";
    public string? CreatedByUserUid { get; init; }
    public string? UpdatedByUserUid { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A stack role held through an organization membership. Keyed by the membership, so nobody can hold a stack role
/// without being in the stack's organization, and removing the membership removes every stack role at once.
/// Roles given with a pending invitation wait here and take effect when it is accepted.
/// </summary>
public sealed class StackRoleAssignment
{
    public required string StackUid { get; init; }
    public required string MembershipUid { get; init; }
    public required string RoleUid { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
