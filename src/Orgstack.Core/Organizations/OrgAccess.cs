using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Organizations;

/// <summary>The caller's accepted membership of an organization, with the organization itself, as one read.</summary>
public sealed record OrgGrant(Membership Membership, Organization Organization, bool TransferPending);

/// <summary>
/// Finds the caller's accepted membership of an organization. An organization the caller does not belong to
/// answers as not found, never as forbidden, so its existence is not revealed.
/// </summary>
public sealed class OrgAccess(OrgstackDbContext db)
{
    public async Task<Result<Membership>> MemberAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var grant = await GrantAsync(organizationUid, actor, ct);
        return grant.IsSuccess ? grant.Value.Membership : grant.Error!;
    }

    /// <summary>The caller's membership when it is Owner or Admin.</summary>
    public async Task<Result<Membership>> AdminAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var member = await MemberAsync(organizationUid, actor, ct);
        if (!member.IsSuccess) return member;
        return OrgPermissions.CanAdminister(member.Value.Role) ? member : CommonErrors.NotAdmin;
    }

    public async Task<Result<Membership>> OwnerAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var member = await MemberAsync(organizationUid, actor, ct);
        if (!member.IsSuccess) return member;
        return member.Value.Role == OrgRole.Owner ? member : CommonErrors.NotOwner;
    }

    /// <summary>
    /// The caller's membership, the organization and whether an ownership transfer is pending, checked as
    /// <see cref="MemberAsync"/> checks (accepted member, organization enabled, the SSO gate), in one statement: this runs
    /// on nearly every request, and each EF query costs more than the statement itself (bench/README.md).
    /// </summary>
    public async Task<Result<OrgGrant>> GrantAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        if (!Ids.LooksValid(organizationUid)) return CommonErrors.OrganizationNotFound;
        var sql = LeanSql.Text(db, "org.access", d => $"""
            SELECT {LeanSql.Reader<Membership>(d).Columns("m")}, {LeanSql.Reader<Organization>(d).Columns("o")}, c.strict,
                   EXISTS (SELECT 1 FROM ownership_transfers t WHERE t.organization_uid = m.organization_uid AND t.status = 'Pending')
            FROM memberships m
            JOIN organizations o ON o.uid = m.organization_uid
            LEFT JOIN sso_configurations c ON c.organization_uid = m.organization_uid AND c.enabled
            WHERE m.organization_uid = @org AND m.user_uid = @user AND m.status = 'Accepted'
            """);
        Membership membership;
        Organization organization;
        bool? strict;
        bool transferPending;
        await using (var read = await LeanSql.ReadAsync(db, sql, ct))
        {
            var command = read.Command;
            command.Parameter("@org", organizationUid);
            command.Parameter("@user", actor.UserUid);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return CommonErrors.OrganizationNotFound;
            var memberships = LeanSql.Reader<Membership>(db);
            var organizations = LeanSql.Reader<Organization>(db);
            membership = memberships.Read(reader, 0);
            organization = organizations.Read(reader, memberships.Width);
            var next = memberships.Width + organizations.Width;
            strict = reader.IsDBNull(next) ? null : LeanValues.Boolean(reader, next);
            transferPending = LeanValues.Boolean(reader, next + 1);
        }
        if (!organization.Enabled) return CommonErrors.OrganizationNotFound;
        var sso = Sso.SsoGate.Check(membership, actor, strict);
        return sso is null ? new OrgGrant(membership, organization, transferPending) : sso;
    }
}
