using System.Text.Json;
using Orgstack.Core.Common;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>Organization users ("shares"): invite, list, search, remove, resend, change roles, revoke.</summary>
public static class ShareEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var organizations = v3.MapGroup("/organizations").RequireSession().WithTags("Organization users");

        organizations.MapPost("/{organizationUid}/share", async (string organizationUid, HttpContext http, InviteMembers invite, CancellationToken ct) =>
        {
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            var (request, invalid) = ReadInvite(organizationUid, body);
            if (invalid is not null) return invalid;
            var result = await invite.HandleAsync(request!, http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);

            var outcomes = result.Value;
            var stacksByEmail = request!.Invitees.Where(i => i.Stacks is not null)
                .GroupBy(i => Emails.Normalize(i.Email ?? "")).ToDictionary(g => g.Key, g => g.First().Stacks!);
            var shares = outcomes.Where(o => o.Invitation is not null).Select(o => ShareWire.Share(o.Invitation!,
                stacksByEmail.TryGetValue(o.Email, out var s) ? s.Select(p => new MemberStackRoles(p.Key, "", p.Value)).ToList() : null)).ToList();
            var refused = outcomes.Where(o => o.Error is not null).ToList();
            var errors = refused.GroupBy(o => o.Email).ToDictionary(g => g.Key, g => g.Select(o => o.Error!.Message).ToArray());
            var results = outcomes.Select(o => new Dictionary<string, object?>
            {
                ["email"] = o.Email,
                ["status"] = o.Error is null ? "invited" : "refused",
                ["share_uid"] = o.Invitation?.Uid,
                ["error_code"] = o.Error?.Number,
                ["error_message"] = o.Error?.Message,
            }).ToList();

            if (shares.Count == 0)
            {
                var distinct = refused.Select(o => o.Error!).Distinct().ToList();
                var first = distinct.Count == 1 ? distinct[0] : Error.Validation("invitation.none_sent", "No invitation was sent: every address was refused.");
                return Results.Json(new Dictionary<string, object?>
                {
                    ["error_message"] = first.Message,
                    ["error_code"] = first.Number,
                    ["errors"] = errors,
                    ["results"] = results,
                }, statusCode: ApiResults.StatusOf(first));
            }
            return Results.Json(new Dictionary<string, object?>
            {
                ["notice"] = refused.Count == 0 ? "The invitation has been sent successfully." : $"The invitation has been sent to {shares.Count} of {outcomes.Count} addresses.",
                ["shares"] = shares,
                ["errors"] = errors,
                ["results"] = results,
            });
        }).WithSummary("Invite users by email, each with one organization role and optional stack roles.");

        organizations.MapGet("/{organizationUid}/share", (string organizationUid, HttpContext http, ListMembers list, CancellationToken ct) =>
            ListAsync(organizationUid, http, list, null, ct))
            .WithSummary("Members and pending invitations: skip/limit, asc/desc (email, name, last_login_at), typeahead, include_count, cursor.");

        organizations.MapPost("/{organizationUid}/share/search", async (string organizationUid, HttpContext http, ListMembers list, CancellationToken ct) =>
        {
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            List<string>? emails = null;
            if (ShareWire.TryGet(body, "emails", out var value))
            {
                emails = ShareWire.Strings(value);
                if (emails is null) return ShareWire.Invalid("emails", "emails must be a list of email addresses.");
                if (emails.Count > 1000) return ShareWire.Invalid("emails", "At most 1,000 addresses per search.");
            }
            return await ListAsync(organizationUid, http, list, emails, ct);
        }).WithSummary("Members and invitations by email ({\"emails\":[…]}; without a body, everyone).");

        organizations.MapDelete("/{organizationUid}/share", async (string organizationUid, HttpContext http, RemoveMembers remove, CancellationToken ct) =>
        {
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            if (!ShareWire.TryGet(body, "emails", out var value) || ShareWire.Strings(value) is not { } emails)
                return ShareWire.Invalid("emails", "Give the addresses to remove as {\"emails\":[…]}.");
            var result = await remove.HandleAsync(new RemoveMembers.Request(organizationUid, emails), http.Actor()!, ct);
            return ApiResults.From(result, removed => new
            {
                notice = "The invitation has been deleted successfully.",
                shares = removed.Select(m => ShareWire.Share(m)).ToList(),
            });
        }).WithSummary("Remove members and pending invitations by email (JSON body on DELETE).");

        organizations.MapGet("/{organizationUid}/share/{shareUid}/resend_invitation", Resend).WithSummary("Resend a pending invitation (a new link; the old one stops working).");
        organizations.MapGet("/{organizationUid}/{shareUid}/resend_invitation", Resend).WithSummary("Resend a pending invitation (the JS SDK's path).");

        organizations.MapPut("/{organizationUid}/share/{shareUid}", async (string organizationUid, string shareUid, HttpContext http, ChangeMemberRoles change, CancellationToken ct) =>
        {
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            var share = ShareWire.TryGet(body, "share", out var wrapped) ? wrapped : body ?? default;
            string? role = null;
            if (ShareWire.TryGet(share, "org_roles", out var roles))
            {
                var list = ShareWire.Strings(roles);
                if (list is null || list.Count != 1) return ApiResults.Error(MemberErrors.RoleRequired);
                role = list[0];
            }
            Dictionary<string, IReadOnlyList<string>>? stacks = null;
            if (ShareWire.TryGet(share, "stacks", out var stackValue))
            {
                stacks = ShareWire.StackRoles(stackValue);
                if (stacks is null) return ShareWire.Invalid("stacks", "stacks must map stack api keys to lists of role uids.");
            }
            var result = await change.HandleAsync(new ChangeMemberRoles.Request(organizationUid, shareUid, role, stacks), http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var row = await ShareAsync(http, organizationUid, result.Value.Email, ct);
            return Results.Json(new { notice = "The user's roles have been updated successfully.", share = row });
        }).WithSummary("Change a member's organization role and stack roles in one update.");

        organizations.MapDelete("/{organizationUid}/share/{shareUid}", async (string organizationUid, string shareUid, HttpContext http, RevokeInvitation revoke, CancellationToken ct) =>
        {
            var result = await revoke.HandleAsync(new RevokeInvitation.Request(organizationUid, shareUid), http.Actor()!, ct);
            return ApiResults.From(result, m => new { notice = "The invitation has been deleted successfully.", share = ShareWire.Share(m) });
        }).WithSummary("Revoke a pending invitation.");
    }

    private static async Task<IResult> Resend(string organizationUid, string shareUid, HttpContext http, ResendInvitation resend, CancellationToken ct)
    {
        var result = await resend.HandleAsync(new ResendInvitation.Request(organizationUid, shareUid), http.Actor()!, ct);
        return ApiResults.From(result, _ => new { notice = "The invitation has been resent successfully." });
    }

    private static async Task<Dictionary<string, object?>?> ShareAsync(HttpContext http, string organizationUid, string email, CancellationToken ct)
    {
        var list = http.RequestServices.GetRequiredService<ListMembers>();
        var page = await list.HandleAsync(new ListMembers.Request(organizationUid, Limit: 1, Emails: [email]), http.Actor()!, ct);
        return page.IsSuccess && page.Value.Items.Count == 1 ? ShareWire.Share(page.Value.Items[0], true) : null;
    }

    private static async Task<IResult> ListAsync(string organizationUid, HttpContext http, ListMembers list, IReadOnlyList<string>? emails, CancellationToken ct)
    {
        var (paging, error) = Paging.From(http.Request, defaultLimit: 1000, maxLimit: 1000);
        if (error is not null) return error;
        var field = paging!.Desc ?? paging.Asc;
        var sort = field?.ToLowerInvariant() switch
        {
            "first_name" or "last_name" or "name" or "full_name" or "sort_name" => MemberSort.Name,
            "last_login_at" or "last_login" or "lastloginat" => MemberSort.LastLogin,
            _ => MemberSort.Email,
        };
        var cursor = http.Request.Query["cursor"].ToString();
        var details = Paging.Flag(http.Request, "include_user_details");
        var result = await list.HandleAsync(new ListMembers.Request(organizationUid, paging.Skip, paging.Limit, sort, paging.Desc is not null,
            paging.Typeahead, cursor.Length == 0 ? null : cursor, emails, paging.IncludeCount, IncludeInvitedBy: details), http.Actor()!, ct);
        if (!result.IsSuccess) return ApiResults.Error(result.Error!);
        return new ShareWire.ListResult(result.Value, details);
    }

    private static (InviteMembers.Request? Request, IResult? Error) ReadInvite(string organizationUid, JsonElement? body)
    {
        if (!ShareWire.TryGet(body, "share", out var share) || share.ValueKind != JsonValueKind.Object)
            return (null, ShareWire.Invalid("share", "The body must be {\"share\":{\"users\":{email:[roleUid]},\"stacks\":{…},\"message\":…}}."));
        var order = new List<string>();
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);
        var roles = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var stacks = new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        string Key(string email)
        {
            var key = email.Trim().ToLowerInvariant();
            if (raw.TryAdd(key, email)) order.Add(key);
            return key;
        }

        if (ShareWire.TryGet(share, "users", out var users))
        {
            if (users.ValueKind != JsonValueKind.Object) return (null, ShareWire.Invalid("users", "users must map email addresses to organization role uids."));
            foreach (var user in users.EnumerateObject())
            {
                var list = ShareWire.Strings(user.Value);
                if (list is null) return (null, ShareWire.Invalid("users", "users must map email addresses to organization role uids."));
                var key = Key(user.Name);
                if (!roles.TryGetValue(key, out var existing)) roles[key] = existing = [];
                existing.AddRange(list.Where(r => !existing.Contains(r)));
            }
        }
        if (ShareWire.TryGet(share, "stacks", out var stackMap))
        {
            if (stackMap.ValueKind != JsonValueKind.Object) return (null, ShareWire.Invalid("stacks", "stacks must map email addresses to {apiKey:[roleUid]}."));
            foreach (var entry in stackMap.EnumerateObject())
            {
                var grants = ShareWire.StackRoles(entry.Value);
                if (grants is null) return (null, ShareWire.Invalid("stacks", "stacks must map email addresses to {apiKey:[roleUid]}."));
                var key = Key(entry.Name);
                if (!stacks.TryGetValue(key, out var merged)) stacks[key] = merged = new(StringComparer.Ordinal);
                foreach (var (apiKey, roleUids) in grants)
                {
                    if (!merged.TryGetValue(apiKey, out var list)) merged[apiKey] = list = [];
                    list.AddRange(roleUids.Where(r => !list.Contains(r)));
                }
            }
        }
        string? message = null;
        if (ShareWire.TryGet(share, "message", out var m))
        {
            if (m.ValueKind != JsonValueKind.String) return (null, ShareWire.Invalid("message", "message must be text."));
            message = m.GetString();
        }
        var accessWithoutSso = false;
        if (ShareWire.TryGet(share, "access_without_sso", out var a))
        {
            if (a.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return (null, ShareWire.Invalid("access_without_sso", "access_without_sso must be true or false."));
            accessWithoutSso = a.GetBoolean();
        }
        var invitees = order.Select(key => new InviteMembers.Invitee(raw[key], roles.GetValueOrDefault(key) ?? [],
            stacks.TryGetValue(key, out var s) ? s.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal) : null)).ToList();
        return (new InviteMembers.Request(organizationUid, invitees, message, accessWithoutSso), null);
    }
}
