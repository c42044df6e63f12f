using System.Text.Json;
using Orgstack.Core.Common;

namespace Orgstack.Core.Audit;

/// <summary>Builds audit events; callers add them to the same <c>SaveChangesAsync</c> as the change they record.</summary>
public static class Audit
{
    public static AuditEvent Event(
        Actor actor, DateTimeOffset at, string? organizationUid, string module, string eventType,
        string? targetType = null, string? targetUid = null, string? targetLabel = null, object? metadata = null) => new()
    {
        Uid = Ids.New(),
        OrganizationUid = organizationUid,
        ActorUserUid = actor.IsSystem ? null : actor.UserUid,
        ActorEmail = actor.Email,
        Module = module,
        EventType = eventType,
        TargetType = targetType,
        TargetUid = targetUid,
        TargetLabel = targetLabel,
        MetadataJson = metadata is null ? "{}" : JsonSerializer.Serialize(metadata, JsonOptions),
        RemoteAddress = actor.RemoteAddress,
        RequestId = actor.RequestId,
        CreatedAt = at,
    };

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
