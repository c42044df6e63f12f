namespace Orgstack.Core.Organizations;

public enum TransferStatus
{
    Pending = 0,
    Accepted = 1,
    Cancelled = 2,
    Expired = 3,
}

/// <summary>An Owner's offer of ownership to an email; at most one pending per organization.</summary>
public sealed class OwnershipTransfer
{
    public required string Uid { get; init; }
    public required string OrganizationUid { get; init; }
    public required string FromUserUid { get; init; }
    public required string ToEmail { get; init; }
    public TransferStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? CompletedAt { get; set; }
}
