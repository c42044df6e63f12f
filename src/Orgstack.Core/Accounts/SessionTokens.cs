using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Accounts;

/// <summary>Issues, validates and revokes authtokens. All state is in the database, so every node agrees at once.</summary>
public sealed class SessionTokens(ScopedDb scoped, OrgstackOptions options, TimeProvider clock, RequestGrants grants)
{
    /// <summary>Adds a new session to the context (the caller saves it with the change that signs the user in).</summary>
    public (Session Session, string Token) Issue(User user, string method, string? remoteAddress, string? userAgent, string? ssoOrganizationUid = null)
    {
        var now = clock.GetUtcNow();
        var token = "cs" + Secrets.NewToken();
        var session = new Session
        {
            TokenHash = Secrets.Hash(token),
            Uid = Ids.New(),
            UserUid = user.Uid,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now.AddHours(options.Sessions.AbsoluteHours),
            Method = method,
            SsoOrganizationUid = ssoOrganizationUid,
            RemoteAddress = Truncate(remoteAddress, 64),
            UserAgent = Truncate(userAgent, 256),
        };
        scoped.Context.Sessions.Add(session);
        return (session, token);
    }

    /// <summary>The live session for a presented token and the few fields of its user that every request needs, or null.</summary>
    public Task<SignedIn?> ValidateAsync(string? token, CancellationToken ct) => ValidateAsync(token, null, ct);

    /// <summary>
    /// The live session for a presented token, or null. Refreshes the idle clock at most once a minute. With
    /// <paramref name="organizationUid"/> (the organization in an API path), the caller's access row for that organization
    /// is read in the same statement and kept for the request's access check (<see cref="RequestGrants"/>), which still
    /// decides: one statement instead of two on nearly every request.
    /// </summary>
    public async Task<SignedIn?> ValidateAsync(string? token, string? organizationUid, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200) return null;
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        var withGrant = organizationUid is not null && Ids.LooksValid(organizationUid);
        // A request's first check rents no context: the read runs on a kept-open connection (LeanSql, ScopedDb.ForRead).
        var db = scoped.ForRead;
        // Every request runs this, straight from the database and never from a cache, so a revoked session stops
        // working at once on every node. The rules are in the WHERE clause (revoked, expired, idle; a disabled or locked
        // account, or one whose admin forced a password reset, has no usable session), and only the columns a request
        // uses are read: not the password hash or the TOTP secret.
        var sql = withGrant
            ? LeanSql.Text(db, "session.validate+grant", d => $"""
                SELECT {Columns}, {OrgAccess.SelectColumns(d)}
                FROM sessions s
                JOIN users u ON u.uid = s.user_uid
                LEFT JOIN memberships m ON m.organization_uid = @org AND m.user_uid = s.user_uid AND m.status = 'Accepted'
                {OrgAccess.Joins}
                WHERE {Rules}
                """)
            : LeanSql.Text(db, "session.validate", _ => $"SELECT {Columns} FROM sessions s JOIN users u ON u.uid = s.user_uid WHERE {Rules}");
        SignedIn signedIn;
        DateTimeOffset lastSeen;
        await using (var read = await LeanSql.ReadAsync(db, sql, ct))
        {
            var command = read.Command;
            command.Parameter("@hash", hash);
            command.Parameter("@now", LeanSql.Time(db, now));
            command.Parameter("@idle", LeanSql.Time(db, now.AddMinutes(-options.Sessions.IdleMinutes)));
            if (withGrant) command.Parameter("@org", organizationUid);
            await using var reader = await read.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            signedIn = new SignedIn(
                SessionUid: reader.GetString(0),
                UserUid: reader.GetString(1),
                Method: reader.GetString(2),
                SsoOrganizationUid: reader.IsDBNull(3) ? null : reader.GetString(3),
                Email: reader.GetString(5),
                FirstName: reader.GetString(6),
                LastName: reader.GetString(7),
                MustEnrollMfa: LeanValues.Boolean(reader, 8));
            lastSeen = LeanValues.Time(db, reader, 4)!.Value;
            if (withGrant) grants.Remember(organizationUid!, signedIn.UserUid, OrgAccess.ReadRow(db, reader, ColumnCount));
        }
        if (now - lastSeen > TimeSpan.FromMinutes(1))
            await scoped.Context.Sessions.Where(s => s.TokenHash == hash).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, now), ct);
        return signedIn;
    }

    private const string Columns = "s.uid, s.user_uid, s.method, s.sso_organization_uid, s.last_seen_at, u.email, u.first_name, u.last_name, u.must_enroll_mfa";
    private const int ColumnCount = 9;

    private const string Rules = """
        s.token_hash = @hash AND s.revoked_at IS NULL AND s.expires_at > @now AND s.last_seen_at > @idle
          AND u.active AND u.locked_at IS NULL AND NOT u.must_change_password
        """;

    public Task<int> RevokeAsync(string token, CancellationToken ct)
    {
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        return scoped.Context.Sessions.Where(s => s.TokenHash == hash && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), ct);
    }

    /// <summary>Ends every session of a user (password change, MFA reset, forced sign-out).</summary>
    public Task<int> RevokeAllAsync(string userUid, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return scoped.Context.Sessions.Where(s => s.UserUid == userUid && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), ct);
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}

/// <summary>
/// A request's caller: the live session and the fields of its user that requests use (the API's actor, the console's
/// header, the MFA enrolment gate). Pages that show more of the account read it themselves.
/// </summary>
public sealed record SignedIn(string SessionUid, string UserUid, string Email, string FirstName, string LastName, string Method,
    string? SsoOrganizationUid, bool MustEnrollMfa)
{
    public string DisplayName => $"{FirstName} {LastName}".Trim();
}
