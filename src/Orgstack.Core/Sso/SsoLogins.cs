using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Sso;

public static class SsoErrors
{
    /// <summary>The one answer to every refused SSO response: nothing tells an attacker which check failed.</summary>
    public static readonly Error Rejected =
        new("sso.rejected", "Single sign-on failed. Please try again or contact your administrator.", ErrorKind.Unauthorized, 105);

    public static readonly Error NotConfigured =
        Error.NotFound("sso.not_configured", "Single sign-on is not available for this organization.", "organization_uid");
}

/// <summary>Outstanding sign-in requests in the database, so a response can come back to any node, once.</summary>
public sealed class SsoLogins(OrgstackDbContext db, OrgstackOptions options, TimeProvider clock)
{
    /// <summary>Records a started sign-in; <paramref name="requestId"/> is the SAML request ID or the OIDC state.</summary>
    public async Task BeginAsync(string organizationUid, SsoProtocol protocol, string requestId, string browserValue,
        string? nonce, string? protectedVerifier, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.SsoLoginRequests.Where(r => r.ExpiresAt < now.AddHours(-1)).ExecuteDeleteAsync(ct);
        db.SsoLoginRequests.Add(new SsoLoginRequest
        {
            RequestHash = Secrets.Hash(requestId),
            OrganizationUid = organizationUid,
            Protocol = protocol,
            BrowserHash = Secrets.Hash(browserValue),
            Nonce = nonce,
            PkceVerifier = protectedVerifier,
            CreatedAt = now,
            ExpiresAt = now.AddMinutes(options.Sso.RequestMinutes),
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Consumes an outstanding request of this organization, protocol and browser with one conditional update (exactly
    /// one row, on any node); null when there is none.
    /// </summary>
    public async Task<SsoLoginRequest?> ConsumeAsync(string organizationUid, SsoProtocol protocol, string? requestId, string? browserValue, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(requestId) || requestId.Length > 256 || string.IsNullOrEmpty(browserValue) || browserValue.Length > 256) return null;
        var hash = Secrets.Hash(requestId);
        var browser = Secrets.Hash(browserValue);
        var now = clock.GetUtcNow();
        var changed = await db.SsoLoginRequests
            .Where(r => r.RequestHash == hash && r.OrganizationUid == organizationUid && r.Protocol == protocol
                        && r.BrowserHash == browser && r.UsedAt == null && r.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.UsedAt, now), ct);
        if (changed != 1) return null;
        return await db.SsoLoginRequests.AsNoTracking().FirstAsync(r => r.RequestHash == hash, ct);
    }

    /// <summary>Records a SAML assertion ID as used until it expires; false when it was used before (on any node).</summary>
    public async Task<bool> MarkAssertionUsedAsync(string organizationUid, string assertionId, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.SamlAssertionUses.Where(a => a.ExpiresAt < now.AddHours(-1)).ExecuteDeleteAsync(ct);
        var key = Secrets.Hash(organizationUid + "\n" + assertionId);
        db.SamlAssertionUses.Add(new SamlAssertionUse { Key = key, ExpiresAt = expiresAt });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }
}

/// <summary>What an identity provider vouched for, after every check passed.</summary>
public sealed record SsoIdentity(string OrganizationUid, string Issuer, string Subject, string? Email, bool EmailVerified,
    string? FirstName = null, string? LastName = null);

/// <summary>
/// Turns a verified IdP identity into an Orgstack session. Identity is (organization, issuer, subject): a known link
/// signs in its user. Otherwise a verified email links to the member or pending invitation of this organization with
/// that address (the invitation is accepted). Nothing else creates a link: no just-in-time membership.
/// </summary>
public sealed class SsoCompletion(OrgstackDbContext db, SessionTokens sessions, TimeProvider clock)
{
    public async Task<Result<(User User, string Token)>> CompleteAsync(SsoIdentity identity, string? remoteAddress, string? userAgent, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var org = identity.OrganizationUid;
        var config = await db.SsoConfigurations.FirstOrDefaultAsync(c => c.OrganizationUid == org, ct);
        var orgEnabled = await db.Organizations.AsNoTracking().Where(o => o.Uid == org).Select(o => o.Enabled).FirstOrDefaultAsync(ct);
        if (config is null || !orgEnabled) return SsoErrors.Rejected;
        var actor = new Actor("system", "system", remoteAddress);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        User? user = null;
        Membership? membership = null;
        var link = await db.ExternalIdentities.AsNoTracking()
            .FirstOrDefaultAsync(x => x.OrganizationUid == org && x.Issuer == identity.Issuer && x.Subject == identity.Subject, ct);
        if (link is not null)
        {
            user = await db.Users.FirstOrDefaultAsync(u => u.Uid == link.UserUid, ct);
            membership = await db.Memberships.FirstOrDefaultAsync(m => m.OrganizationUid == org && m.UserUid == link.UserUid && m.Status == MembershipStatus.Accepted, ct);
            if (user is null || membership is null) return await RefuseAsync(identity, "not_member", now, ct);
        }
        else
        {
            if (!identity.EmailVerified || !Emails.IsValid(identity.Email))
                return await RefuseAsync(identity, "unverified_email", now, ct);
            var email = Emails.Normalize(identity.Email!);
            membership = await db.Memberships.FirstOrDefaultAsync(m => m.OrganizationUid == org && m.Email == email, ct);
            if (membership is null)
            {
                var joined = await JoinJustInTimeAsync(config, email, identity, actor, now, ct);
                if (joined.Reason is not null) return await RefuseAsync(identity, joined.Reason, now, ct);
                (user, membership) = (joined.User!, joined.Membership!);
            }
            else if (membership.Status == MembershipStatus.Pending)
            {
                if (membership.InvitationExpiresAt is { } expires && expires <= now) return await RefuseAsync(identity, "invitation_expired", now, ct);
                user = await db.Users.FirstOrDefaultAsync(u => u.Email == email, ct);
                if (user is null)
                {
                    user = new User
                    {
                        Uid = Ids.New(), Email = email, FirstName = Clip(identity.FirstName), LastName = Clip(identity.LastName),
                        CreatedAt = now, UpdatedAt = now,
                    };
                    db.Users.Add(user);
                    db.AuditEvents.Add(Audit.Audit.Event(actor, now, org, "user", "create_account", "user", user.Uid, user.Email, new { via = "sso" }));
                }
                membership.Status = MembershipStatus.Accepted;
                membership.UserUid = user.Uid;
                membership.AcceptedAt = now;
                membership.UpdatedAt = now;
                membership.SetName(user.FirstName, user.LastName);
                await db.ActionTokens.Where(t => t.Purpose == TokenPurpose.Invitation && t.SubjectUid == membership.Uid && t.UsedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(t => t.RevokedAt, now), ct);
                db.AuditEvents.Add(Audit.Audit.Event(actor, now, org, "user", "accept_invitation", "membership", membership.Uid, membership.Email, new { via = "sso" }));
            }
            else
            {
                user = await db.Users.FirstOrDefaultAsync(u => u.Uid == membership.UserUid, ct);
                if (user is null) return await RefuseAsync(identity, "not_member", now, ct);
                // A member links once; a second IdP identity for the same member is refused (unique index too).
                if (await db.ExternalIdentities.AnyAsync(x => x.OrganizationUid == org && x.UserUid == user.Uid, ct))
                    return await RefuseAsync(identity, "already_linked", now, ct);
            }
            db.ExternalIdentities.Add(new ExternalIdentity
            {
                Uid = Ids.New(), OrganizationUid = org, Issuer = identity.Issuer, Subject = identity.Subject, UserUid = user.Uid, CreatedAt = now,
            });
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, org, "sso", "link_identity", "user", user.Uid, user.Email, new { issuer = identity.Issuer }));
        }

        // A locked or disabled account stays out, whatever the IdP says.
        if (!user.Active || user.LockedAt is not null) return await RefuseAsync(identity, "account_locked", now, ct);

        var (_, token) = sessions.Issue(user, "sso", remoteAddress, userAgent, org);
        user.LastLoginAt = now;
        membership.LastLoginAt = now;
        var tested = config.TestedAt is null;
        config.TestedAt ??= now;
        db.AuditEvents.Add(Audit.Audit.Event(new Actor(user.Uid, user.Email, remoteAddress), now, org, "sso", "sign_in", "user", user.Uid, user.Email,
            new { protocol = config.Protocol.ToString().ToLowerInvariant(), first_successful_test = tested }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (user, token);
    }

    /// <summary>
    /// Just-in-time membership: with it on, a verified address of a domain the Owner listed (exact match, no subdomains)
    /// that has no invitation joins as a Member with a new account. An address that already has an Orgstack account is
    /// never joined this way (it must be invited and accept: no account is put into an organization without its owner's
    /// consent). The plan's user limit is checked under the organization's row lock.
    /// </summary>
    private async Task<(User? User, Membership? Membership, string? Reason)> JoinJustInTimeAsync(SsoConfiguration config, string email,
        SsoIdentity identity, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        var org = config.OrganizationUid;
        var domain = email[(email.LastIndexOf('@') + 1)..];
        if (!config.JitEnabled || config.JitDomains is null || !config.JitDomains.Split('\n').Contains(domain, StringComparer.Ordinal))
            return (null, null, "not_invited");
        if (await db.Users.AnyAsync(u => u.Email == email, ct)) return (null, null, "jit_existing_account");
        await Organizations.OrganizationLock.LockAsync(db, org, ct);
        var maxUsers = await db.Organizations.Where(o => o.Uid == org).Select(o => o.MaxUsers).FirstAsync(ct);
        if (await db.Memberships.CountAsync(m => m.OrganizationUid == org, ct) >= maxUsers) return (null, null, "jit_user_limit");
        var user = new User
        {
            Uid = Ids.New(), Email = email, FirstName = Clip(identity.FirstName), LastName = Clip(identity.LastName), CreatedAt = now, UpdatedAt = now,
        };
        var membership = new Membership
        {
            Uid = Ids.New(), OrganizationUid = org, Email = email, UserUid = user.Uid, Role = Organizations.OrgRole.Member,
            Status = MembershipStatus.Accepted, InvitedAt = now, AcceptedAt = now, CreatedAt = now, UpdatedAt = now,
        };
        membership.SetName(user.FirstName, user.LastName);
        db.Users.Add(user);
        db.Memberships.Add(membership);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, org, "user", "create_account", "user", user.Uid, user.Email, new { via = "sso_jit" }));
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, org, "sso", "jit_join", "membership", membership.Uid, email, new { domain, role = "member" }));
        return (user, membership, null);
    }

    /// <summary>Audits a refused sign-in (in its own statement) and answers with the generic error.</summary>
    public async Task<Error> RefuseAsync(SsoIdentity identity, string reason, DateTimeOffset now, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        if (db.Database.CurrentTransaction is { } tx) await tx.RollbackAsync(ct);
        db.AuditEvents.Add(Audit.Audit.Event(Actor.System(), now, identity.OrganizationUid, "sso", "sign_in_refused", "organization",
            identity.OrganizationUid, identity.OrganizationUid, new { reason }));
        await db.SaveChangesAsync(ct);
        return SsoErrors.Rejected;
    }

    private static string Clip(string? value) => value is null ? "" : value.Length <= 100 ? value : value[..100];
}
