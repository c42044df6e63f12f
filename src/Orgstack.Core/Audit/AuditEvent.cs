namespace Orgstack.Core.Audit;

/// <summary>
/// One change, written in the same transaction as the change itself. Append-only: nothing updates or deletes it.
/// </summary>
public sealed class AuditEvent
{
    public required string Uid { get; init; }
    public string? OrganizationUid { get; init; }
    public string? ActorUserUid { get; init; }
    public string? ActorEmail { get; init; }
    /// <summary>The area, as Contentstack's logs call it: organization, user, stack, role, session, account.</summary>
    public required string Module { get; init; }
    /// <summary>What happened, e.g. "invite", "accept_invitation", "change_role".</summary>
    public required string EventType { get; init; }
    public string? TargetType { get; init; }
    public string? TargetUid { get; init; }
    public string? TargetLabel { get; init; }
    public string MetadataJson { get; init; } = "{}";
    public string? RemoteAddress { get; init; }
    public string? RequestId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}
