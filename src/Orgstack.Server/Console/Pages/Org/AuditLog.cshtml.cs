using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Audit;
using Orgstack.Core.Common;
using Orgstack.Core.Export;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Administration › Audit log: Core's ListAuditLogs filtered by user, action and date range, paged, exportable as CSV.</summary>
public sealed class AuditLogModel(ListAuditLogs logs, TimeProvider clock) : OrgPageModel
{
    public const int PageSize = 50;

    public override string Section => "audit";
    public override string Title => "Audit log";

    /// <summary>The actions an admin looks for, as module.event_type.</summary>
    public static readonly (string Value, string Label)[] Actions =
    [
        ("user.invite", "Invitation sent"), ("user.resend_invitation", "Invitation resent"), ("user.revoke_invitation", "Invitation revoked"),
        ("user.accept_invitation", "Invitation accepted"), ("user.remove", "User removed"), ("user.change_roles", "Roles changed"),
        ("user.unlock", "Account unlocked"), ("user.force_password_reset", "Password reset forced"), ("user.force_sign_out", "Signed out by admin"),
        ("user.mfa_reset_requested", "MFA reset requested"), ("user.mfa_reset", "MFA reset"), ("user.two_factor_enabled", "MFA turned on"),
        ("user.two_factor_disabled", "MFA turned off"), ("user.password_change", "Password changed"),
        ("stack.create", "Stack created"), ("stack.update", "Stack updated"), ("stack.delete", "Stack deleted"), ("stack.share", "Stack shared"),
        ("stack.unshare", "Stack unshared"), ("stack.set_user_roles", "Stack roles set"),
        ("role.create", "Stack role created"), ("role.update", "Stack role updated"), ("role.delete", "Stack role deleted"),
        ("organization.export_users", "Users exported"), ("organization.export_audit_log", "Audit log exported"), ("organization.rename", "Organization renamed"), ("organization.set_plan", "Plan changed"),
        ("organization.start_ownership_transfer", "Ownership transfer started"), ("organization.accept_ownership_transfer", "Ownership transferred"),
        ("organization.cancel_ownership_transfer", "Ownership transfer cancelled"),
    ];

    [BindProperty(SupportsGet = true, Name = "user")] public string? UserFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "action")] public string? ActionFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "from")] public string? FromText { get; set; }
    [BindProperty(SupportsGet = true, Name = "to")] public string? ToText { get; set; }
    [BindProperty(SupportsGet = true, Name = "page")] public int PageNumber { get; set; } = 1;

    public IReadOnlyList<AuditEvent> Items { get; private set; } = [];
    public long Total { get; private set; }
    public string? FilterError { get; private set; }
    public DateTimeOffset Now => clock.GetUtcNow();
    public bool Filtered => !string.IsNullOrWhiteSpace(UserFilter) || !string.IsNullOrWhiteSpace(ActionFilter) || !string.IsNullOrWhiteSpace(FromText) || !string.IsNullOrWhiteSpace(ToText);
    public int PageCount => (int)Math.Max(1, (Total + PageSize - 1) / PageSize);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (PageNumber < 1) PageNumber = 1;
        if (Filter(out var request) is { } error) { FilterError = error; request = new ListAuditLogs.Request(OrgUid); }
        var result = await logs.HandleAsync(request with { Skip = (PageNumber - 1) * PageSize, Limit = PageSize, IncludeCount = true }, Caller!, ct);
        if (!result.IsSuccess)
        {
            if (result.Error!.Kind is ErrorKind.Forbidden or ErrorKind.NotFound) return StatusCode(result.Error.Kind == ErrorKind.Forbidden ? 403 : 404);
            FilterError = result.Error.Message;
            result = await logs.HandleAsync(new ListAuditLogs.Request(OrgUid, Limit: PageSize, IncludeCount: true), Caller!, ct);
            if (!result.IsSuccess) return StatusCode(404);
        }
        Items = result.Value.Items;
        Total = result.Value.Count ?? 0;
        return Page();
    }

    /// <summary>The filtered log as CSV through Core's ExportAuditLogCsv (audited; RFC 4180, formula-neutralised).</summary>
    public async Task<IActionResult> OnGetExportAsync([FromServices] ExportAuditLogCsv export, CancellationToken ct)
    {
        if (Filter(out var request) is { } error) { FilterError = error; return await OnGetAsync(ct); }
        var result = await export.HandleAsync(request, Caller!, ct);
        if (!result.IsSuccess)
        {
            if (result.Error!.Kind is ErrorKind.Forbidden or ErrorKind.NotFound) return StatusCode(result.Error.Kind == ErrorKind.Forbidden ? 403 : 404);
            FilterError = result.Error.Message;
            return await OnGetAsync(ct);
        }
        return new CsvDownloadResult(result.Value.FileName, result.Value.WriteAsync);
    }

    private string? Filter(out ListAuditLogs.Request request)
    {
        request = new ListAuditLogs.Request(OrgUid);
        string? module = null, eventType = null;
        if (!string.IsNullOrWhiteSpace(ActionFilter))
        {
            var dot = ActionFilter.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0) return "Choose an action from the list.";
            module = ActionFilter[..dot];
            eventType = ActionFilter[(dot + 1)..];
        }
        DateTimeOffset? from = null, to = null;
        if (!string.IsNullOrWhiteSpace(FromText))
        {
            if (!DateOnly.TryParseExact(FromText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var f)) return "The start date must be a date (YYYY-MM-DD).";
            from = new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        if (!string.IsNullOrWhiteSpace(ToText))
        {
            if (!DateOnly.TryParseExact(ToText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)) return "The end date must be a date (YYYY-MM-DD).";
            to = new DateTimeOffset(t.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        if (from is { } a && to is { } b && a >= b) return "The start date must be on or before the end date.";
        request = new ListAuditLogs.Request(OrgUid, User: string.IsNullOrWhiteSpace(UserFilter) ? null : UserFilter.Trim(), Module: module, EventType: eventType, From: from, To: to);
        return null;
    }

    public static string ActionLabel(AuditEvent e) =>
        Actions.FirstOrDefault(a => a.Value == e.Module + "." + e.EventType).Label ?? $"{e.Module} · {e.EventType.Replace('_', ' ')}";

    public string Link(int page, string? handler = null)
    {
        var query = new List<KeyValuePair<string, string?>>();
        void Add(string key, string? value) { if (!string.IsNullOrWhiteSpace(value)) query.Add(new(key, value.Trim())); }
        Add("user", UserFilter);
        Add("action", ActionFilter);
        Add("from", FromText);
        Add("to", ToText);
        if (page > 1) Add("page", page.ToString(CultureInfo.InvariantCulture));
        Add("handler", handler);
        return OrgPath("/audit-log") + QueryString.Create(query);
    }
}
