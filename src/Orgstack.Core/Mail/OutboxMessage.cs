namespace Orgstack.Core.Mail;

public enum OutboxStatus
{
    Pending = 0,
    Sent = 1,
    Dead = 2,
}

/// <summary>
/// An email written in the same transaction as the change that causes it; a background sender delivers it.
/// A node claims a message by setting <see cref="LockedUntil"/> with a conditional update, so each is sent once.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; init; }
    public required string ToAddress { get; init; }
    public required string Subject { get; init; }
    public required string TextBody { get; init; }
    public string? HtmlBody { get; init; }
    /// <summary>Which template made it (invitation, password_reset, …), for operators and tests.</summary>
    public required string Kind { get; init; }
    public string? OrganizationUid { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public OutboxStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
    public string? LockedBy { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
}
