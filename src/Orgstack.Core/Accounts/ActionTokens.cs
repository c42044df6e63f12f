using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Accounts;

/// <summary>Emailed single-use tokens for accounts (password reset, MFA reset, activation): issue, peek and consume.</summary>
public sealed class ActionTokens(OrgstackDbContext db, TimeProvider clock)
{
    /// <summary>Revokes the user's older tokens of this purpose and adds a new one to the context (the caller saves).</summary>
    public async Task<string> IssueAsync(TokenPurpose purpose, User user, TimeSpan lifetime, string? organizationUid, CancellationToken ct)
    {
        await RevokeAsync(purpose, user.Uid, ct);
        var now = clock.GetUtcNow();
        var token = Secrets.NewToken();
        db.ActionTokens.Add(new ActionToken
        {
            TokenHash = Secrets.Hash(token), Uid = Ids.New(), Purpose = purpose, UserUid = user.Uid, Email = user.Email,
            OrganizationUid = organizationUid, CreatedAt = now, ExpiresAt = now + lifetime,
        });
        return token;
    }

    public Task<int> RevokeAsync(TokenPurpose purpose, string userUid, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return db.ActionTokens.Where(t => t.Purpose == purpose && t.UserUid == userUid && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.RevokedAt, now), ct);
    }

    /// <summary>The live token of this purpose, without using it up (null for unknown, used, revoked or expired).</summary>
    public async Task<ActionToken?> PeekAsync(string? token, TokenPurpose purpose, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200) return null;
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        return await db.ActionTokens.AsNoTracking().Live(hash, purpose, now).FirstOrDefaultAsync(ct);
    }

    /// <summary>Uses the token up with one conditional update: true for exactly one caller, on every node.</summary>
    public async Task<bool> ConsumeAsync(string token, TokenPurpose purpose, CancellationToken ct)
    {
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        var rows = await db.ActionTokens.Live(hash, purpose, now)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.UsedAt, now), ct);
        return rows == 1;
    }
}

public static class ActionTokenQueries
{
    /// <summary>The one definition of a usable emailed token: this hash and purpose, not used, not revoked, not expired.</summary>
    public static IQueryable<ActionToken> Live(this IQueryable<ActionToken> tokens, string tokenHash, TokenPurpose purpose, DateTimeOffset now) =>
        tokens.Where(t => t.TokenHash == tokenHash && t.Purpose == purpose && t.UsedAt == null && t.RevokedAt == null && t.ExpiresAt > now);
}
