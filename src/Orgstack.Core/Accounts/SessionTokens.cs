using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Accounts;

/// <summary>Issues, validates and revokes authtokens. All state is in the database, so every node agrees at once.</summary>
public sealed class SessionTokens(OrgstackDbContext db, OrgstackOptions options, TimeProvider clock)
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
        db.Sessions.Add(session);
        return (session, token);
    }

    /// <summary>The live session and its user for a presented token, or null. Refreshes the idle clock at most once a minute.</summary>
    public async Task<(Session Session, User User)?> ValidateAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200) return null;
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        // Every request runs this: one lean statement (session and user together) read straight from the database,
        // never from a cache, so a revoked session stops working at once on every node.
        var sql = LeanSql.Text(db, "session.validate", d =>
            $"SELECT {LeanSql.Reader<Session>(d).Columns("s")}, {LeanSql.Reader<User>(d).Columns("u")} FROM sessions s JOIN users u ON u.uid = s.user_uid WHERE s.token_hash = @hash AND s.revoked_at IS NULL");
        Session session;
        User user;
        await using (var read = await LeanSql.ReadAsync(db, sql, ct))
        {
            var command = read.Command;
            command.Parameter("@hash", hash);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            var sessions = LeanSql.Reader<Session>(db);
            session = sessions.Read(reader, 0);
            user = LeanSql.Reader<User>(db).Read(reader, sessions.Width);
        }
        if (session.ExpiresAt <= now || session.LastSeenAt.AddMinutes(options.Sessions.IdleMinutes) <= now) return null;
        // A locked or disabled account, or one whose admin forced a password reset, has no usable session.
        if (!user.Active || user.LockedAt is not null || user.MustChangePassword) return null;

        if (now - session.LastSeenAt > TimeSpan.FromMinutes(1))
        {
            await db.Sessions.Where(s => s.TokenHash == hash).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, now), ct);
            session.LastSeenAt = now;
        }
        return (session, user);
    }

    public Task<int> RevokeAsync(string token, CancellationToken ct)
    {
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        return db.Sessions.Where(s => s.TokenHash == hash && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), ct);
    }

    /// <summary>Ends every session of a user (password change, MFA reset, forced sign-out).</summary>
    public Task<int> RevokeAllAsync(string userUid, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return db.Sessions.Where(s => s.UserUid == userUid && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), ct);
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
