using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Stacks;

/// <summary>
/// Creates a stack in an organization. Only the organization's Owner and Admins create stacks (a Member has no
/// stack administration). The creator becomes the stack's owner and also holds its built-in Admin role, so they show
/// among its users like everybody else. The plan's stack limit is enforced.
/// </summary>
public sealed class CreateStack(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public sealed record Request(string? OrganizationUid, string? Name, string? Description, string? MasterLocale);

    public async Task<Result<Stack>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.OrganizationUid)) return StackErrors.OrganizationRequired;
        var member = await access.MemberAsync(request.OrganizationUid.Trim(), actor, ct);
        if (!member.IsSuccess) return member.Error!;
        if (!OrgPermissions.CanAdminister(member.Value.Role)) return StackErrors.CreateRequired;
        if (StackInput.CheckName(request.Name, StackErrors.NameInvalid) is { } nameError) return nameError;
        if (StackInput.CheckDescription(request.Description, StackErrors.DescriptionInvalid) is { } descriptionError) return descriptionError;
        var locale = request.MasterLocale is null ? "en-us" : StackInput.NormalizeLocale(request.MasterLocale);
        if (locale is null) return StackErrors.MasterLocaleInvalid;

        var organizationUid = member.Value.OrganizationUid;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The organization's write lock first, so two concurrent creations cannot both pass the limit check.
        await OrganizationLock.LockAsync(db, organizationUid, ct);
        var max = await db.Organizations.Where(o => o.Uid == organizationUid).Select(o => o.MaxStacks).FirstAsync(ct);
        var count = await db.Stacks.CountAsync(s => s.OrganizationUid == organizationUid, ct);
        if (count >= max) return StackErrors.LimitReached(max);

        var now = clock.GetUtcNow();
        var stack = new Stack
        {
            Uid = Ids.New(), ApiKey = Ids.New(), OrganizationUid = organizationUid, Name = request.Name!.Trim(),
            Description = request.Description?.Trim() ?? "", MasterLocale = locale, OwnerUserUid = actor.UserUid,
            CreatedAt = now, UpdatedAt = now,
        };
        db.Stacks.Add(stack);
        StackRole? admin = null;
        foreach (var (name, description, rules) in BuiltInRoles.All)
        {
            var role = new StackRole
            {
                Uid = Ids.New(), StackUid = stack.Uid, Name = name, Description = description, BuiltIn = true,
                RulesJson = JsonNode.Parse(rules)!.ToJsonString(), CreatedByUserUid = actor.UserUid, UpdatedByUserUid = actor.UserUid,
                CreatedAt = now, UpdatedAt = now,
            };
            db.StackRoles.Add(role);
            if (name == BuiltInRoles.Admin) admin = role;
        }
        db.StackRoleAssignments.Add(new StackRoleAssignment { StackUid = stack.Uid, MembershipUid = member.Value.Uid, RoleUid = admin!.Uid, CreatedAt = now });
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "stack", "create", "stack", stack.Uid, stack.Name,
            new { api_key = stack.ApiKey, master_locale = stack.MasterLocale }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return stack;
    }
}
