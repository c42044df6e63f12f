using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

public enum MembershipStatus
{
    Pending = 0,
    Accepted = 1,
}

/// <summary>
/// A person's place in an organization: a pending invitation (by email) or an accepted membership (by user).
/// It is Contentstack's "share". The user's name and last sign-in are copied here so the users list sorts and
/// pages on one indexed table, even at a million members.
/// </summary>
public sealed class Membership
{
    public required string Uid { get; init; }
    public required string OrganizationUid { get; init; }
    public required string Email { get; set; }
    public string? UserUid { get; set; }
    public OrgRole Role { get; set; }
    public MembershipStatus Status { get; set; }
    public string? InvitedByUserUid { get; set; }
    public string? Message { get; set; }
    public DateTimeOffset InvitedAt { get; set; }
    public DateTimeOffset? InvitationExpiresAt { get; set; }
    public DateTimeOffset? AcceptedAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public bool AccessWithoutSso { get; set; }

    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    /// <summary>Lower-case "first last", or the email while no name is known: the key of the name sort.</summary>
    public string SortName { get; set; } = "";
    public DateTimeOffset? LastLoginAt { get; set; }

    public bool IsOwner => Role == OrgRole.Owner;

    public void SetName(string firstName, string lastName)
    {
        FirstName = firstName;
        LastName = lastName;
        SortName = NameSortKey(firstName, lastName, Email);
    }

    public static string NameSortKey(string firstName, string lastName, string email)
    {
        var name = $"{firstName} {lastName}".Trim();
        return (name.Length == 0 ? email : name).ToLowerInvariant();
    }
}
