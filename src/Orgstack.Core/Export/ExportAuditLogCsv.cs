using System.Globalization;
using Orgstack.Core.Audit;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Export;

/// <summary>
/// Exports the organization's audit log, filtered like <see cref="ListAuditLogs"/>, as CSV (Owner or Admin), newest first.
/// The export is itself audited before anything is streamed. The end of the range is fixed at the start so pages stay
/// stable while new events arrive; at most <see cref="MaxRows"/> rows (narrower filters export the rest).
/// </summary>
public sealed class ExportAuditLogCsv(OrgstackDbContext db, OrgAccess access, ListAuditLogs logs, TimeProvider clock)
{
    public const int MaxRows = 100_000;

    public static readonly IReadOnlyList<string> Columns = ["Time", "User", "Module", "Action", "Target Type", "Target", "Target UID", "IP Address", "Details"];

    public sealed class Export(ListAuditLogs logs, ListAuditLogs.Request request, Actor actor, string fileName)
    {
        public string FileName { get; } = fileName;

        public async Task WriteAsync(TextWriter writer, CancellationToken ct)
        {
            await writer.WriteAsync(Csv.Line(Columns));
            for (var skip = 0; skip < MaxRows; skip += ListAuditLogs.MaxLimit)
            {
                var page = await logs.HandleAsync(request with { Skip = skip, Limit = ListAuditLogs.MaxLimit, IncludeCount = false }, actor, ct);
                if (!page.IsSuccess) return;
                foreach (var e in page.Value.Items)
                {
                    await writer.WriteAsync(Csv.Line([
                        e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), e.ActorEmail ?? e.ActorUserUid ?? "",
                        e.Module, e.EventType, e.TargetType, e.TargetLabel, e.TargetUid, e.RemoteAddress, e.MetadataJson,
                    ]));
                }
                await writer.FlushAsync(ct);
                if (page.Value.Items.Count < ListAuditLogs.MaxLimit) return;
            }
        }
    }

    public async Task<Result<Export>> HandleAsync(ListAuditLogs.Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var now = clock.GetUtcNow();
        var fixedRequest = request with { To = request.To is { } to && to < now ? to : now };
        // Validates the filters the same way the list does, before the export is recorded.
        var check = await logs.HandleAsync(fixedRequest with { Skip = 0, Limit = 1, IncludeCount = true }, actor, ct);
        if (!check.IsSuccess) return check.Error!;
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "organization", "export_audit_log", "organization", request.OrganizationUid, null,
            new { rows = Math.Min(check.Value.Count ?? 0, MaxRows), user = request.User, module = request.Module, event_type = request.EventType, from = request.From, to = request.To, format = "csv" }));
        await db.SaveChangesAsync(ct);
        return new Export(logs, fixedRequest, actor, $"audit-log-{request.OrganizationUid}-{now.UtcDateTime:yyyy-MM-dd}.csv");
    }
}
