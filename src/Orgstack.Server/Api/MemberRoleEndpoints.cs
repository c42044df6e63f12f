using Orgstack.Core.Accounts;
using Orgstack.Core.Members;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>
/// Bulk organization role change (the console's "Change role" on selected users): 1..Bulk:MaxUsersPerAction users by
/// uid or email, all or nothing. Not part of Contentstack's contract (which changes one share at a time with
/// <c>PUT /organizations/{org}/share/{share_uid}</c>); shaped like the other bulk member actions.
/// </summary>
public static class MemberRoleEndpoints
{
    public sealed record ChangeRoleBody(IReadOnlyList<string>? Users, string? Role);

    public static void Map(RouteGroupBuilder v3)
    {
        v3.MapPost("/organizations/{organizationUid}/users/change_role", async (string organizationUid, ChangeRoleBody? body, HttpContext http,
            ChangeMembersRole change, CancellationToken ct) =>
        {
            var result = await change.HandleAsync(new ChangeMembersRole.Request(organizationUid, body?.Users, body?.Role), http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var outcome = result.Value;
            if (outcome.Applied)
                return Results.Json(new { notice = $"The role was changed for {outcome.Changed} of {outcome.Users.Count} users.", users = outcome.Users });
            var refused = outcome.Users.Where(u => u.Status is "not_found" or "not_allowed").ToList();
            return Results.Json(new Dictionary<string, object?>
            {
                ["error_message"] = $"No role was changed: {refused.Count} of {outcome.Users.Count} users cannot be given this role.",
                ["error_code"] = 119,
                ["errors"] = refused.GroupBy(u => u.User).ToDictionary(g => g.Key, g => g.Select(u => u.Notice).ToArray()),
                ["users"] = outcome.Users,
            }, statusCode: StatusCodes.Status422UnprocessableEntity);
        }).RequireSession().WithTags("Organizations")
          .WithSummary("Give one organization role (admin or member, name or role uid) to 1-10 users, all or nothing, with a result per user.");
    }
}
