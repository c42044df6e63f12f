using System.Data.Common;
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
public sealed class OrgAccess(ScopedDb scoped, RequestGrants prefetched)
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
    /// on nearly every request, and each EF query costs more than the statement itself (bench/README.md). On an
    /// organization's API path the row usually came with the session, in the same statement (<see cref="RequestGrants"/>):
    /// the checks below are the same either way.
    /// </summary>
    public async Task<Result<OrgGrant>> GrantAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        if (!Ids.LooksValid(organizationUid)) return CommonErrors.OrganizationNotFound;
        GrantRow? row;
        if (!(!scoped.InTransaction && prefetched.TryTake(organizationUid, actor.UserUid, out row)))
        {
            var db = scoped.ForRead;
            var sql = LeanSql.Text(db, "org.access", d => $"""
                SELECT {SelectColumns(d)}
                FROM memberships m
                {Joins}
                WHERE m.organization_uid = @org AND m.user_uid = @user AND m.status = 'Accepted'
                """);
            await using var read = await LeanSql.ReadAsync(db, sql, ct);
            var command = read.Command;
            command.Parameter("@org", organizationUid);
            command.Parameter("@user", actor.UserUid);
            await using var reader = await read.ExecuteReaderAsync(ct);
            row = await reader.ReadAsync(ct) ? ReadRow(db, reader, 0) : null;
        }
        if (row is not { } found || !found.Organization.Enabled) return CommonErrors.OrganizationNotFound;
        var sso = Sso.SsoGate.Check(found.Membership, actor, found.Strict);
        return sso is null ? new OrgGrant(found.Membership, found.Organization, found.TransferPending) : sso;
    }

    /// <summary>What the access check reads: the accepted membership, its organization, the SSO setting, a pending transfer.</summary>
    public readonly record struct GrantRow(Membership Membership, Organization Organization, bool? Strict, bool TransferPending);

    /// <summary>The grant's columns (membership <c>m</c>, organization <c>o</c>, SSO settings <c>c</c>), in <see cref="ReadRow"/>'s order.</summary>
    internal static string SelectColumns(LeanDb d) =>
        $"""
        {LeanSql.Reader<Membership>(d).Columns("m")}, {LeanSql.Reader<Organization>(d).Columns("o")}, c.strict,
               EXISTS (SELECT 1 FROM ownership_transfers t WHERE t.organization_uid = m.organization_uid AND t.status = 'Pending')
        """;

    /// <summary>The joins from an accepted membership <c>m</c> to its organization and SSO settings (LEFT, so a missing membership still yields a row).</summary>
    internal const string Joins = """
        LEFT JOIN organizations o ON o.uid = m.organization_uid
        LEFT JOIN sso_configurations c ON c.organization_uid = m.organization_uid AND c.enabled
        """;

    /// <summary>Reads the grant's columns starting at <paramref name="offset"/>; null when the row has no membership.</summary>
    internal static GrantRow? ReadRow(LeanDb db, DbDataReader reader, int offset)
    {
        var memberships = LeanSql.Reader<Membership>(db);
        var organizations = LeanSql.Reader<Organization>(db);
        var next = offset + memberships.Width + organizations.Width;
        // Key columns are never NULL in a real row: a NULL membership or organization key means the LEFT JOIN found none.
        if (reader.IsDBNull(offset) || reader.IsDBNull(offset + memberships.Width)) return null;
        return new GrantRow(
            memberships.Read(reader, offset),
            organizations.Read(reader, offset + memberships.Width),
            reader.IsDBNull(next) ? null : LeanValues.Boolean(reader, next),
            LeanValues.Boolean(reader, next + 1));
    }
}

/// <summary>
/// The access row of the organization in a request's path, read with its session in one statement
/// (<see cref="Accounts.SessionTokens.ValidateAsync"/>) and handed to the request's first <see cref="OrgAccess.GrantAsync"/>
/// for that organization and user, once: a later check in the same request reads the database again. Scoped (one per
/// request); never used inside a transaction, where the check must read on the transaction's own connection.
/// </summary>
public sealed class RequestGrants
{
    private string? organizationUid;
    private string? userUid;
    private OrgAccess.GrantRow? row;

    internal void Remember(string organization, string user, OrgAccess.GrantRow? grant)
    {
        organizationUid = organization;
        userUid = user;
        row = grant;
    }

    internal bool TryTake(string organization, string user, out OrgAccess.GrantRow? grant)
    {
        grant = row;
        // A request that has written anything (the session's idle clock included) reads again: the row is only used when
        // nothing this request did can have changed it.
        var hit = organizationUid == organization && userUid == user && !TransientFailures.WroteInThisFlow;
        organizationUid = userUid = null;
        row = null;
        return hit;
    }
}
