namespace Orgstack.Core.Security;

/// <summary>A fixed-window counter shared by every node (rate limits, attempt counters).</summary>
public sealed class RateLimitCounter
{
    public required string Key { get; init; }
    public DateTimeOffset WindowStart { get; set; }
    public int Count { get; set; }
}

/// <summary>An ASP.NET Data Protection key, kept in the database so every node reads the same key ring.</summary>
public sealed class DataProtectionKey
{
    public int Id { get; init; }
    public string? FriendlyName { get; init; }
    public required string Xml { get; init; }
}
