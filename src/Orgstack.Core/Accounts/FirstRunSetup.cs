using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Accounts;

public static class SetupErrors
{
    /// <summary>One answer for an unknown, used, revoked or expired link: nothing about the link is revealed.</summary>
    public static readonly Error LinkInvalid = Error.Validation("setup.link_invalid",
        "This setup link is not valid any more. Restart the server to print a new one.", "token", "is not valid.");

    public static readonly Error AlreadyDone = Error.Conflict("setup.already_done",
        "Orgstack is already set up. Sign in with your account.");
}

/// <summary>
/// First run: while the database has no user, the server prints a one-time setup link at start-up. Only its hash is
/// stored; it works once, for a day.
/// </summary>
public sealed class IssueSetupToken(OrgstackDbContext db, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>The raw token, or null when someone already has an account (nothing to set up).</summary>
    public async Task<Result<string?>> HandleAsync(CancellationToken ct)
    {
        if (await db.Users.AnyAsync(ct)) return (string?)null;
        var now = clock.GetUtcNow();
        var token = Secrets.NewToken();
        db.ActionTokens.Add(new ActionToken
        {
            TokenHash = Secrets.Hash(token), Uid = Ids.New(), Purpose = TokenPurpose.Setup, CreatedAt = now, ExpiresAt = now.Add(Lifetime),
        });
        db.AuditEvents.Add(Audit.Audit.Event(Actor.System(), now, null, "setup", "link_issued"));
        await db.SaveChangesAsync(ct);
        return token;
    }
}

/// <summary>Whether a setup link can still be used (the page's GET; it changes nothing).</summary>
public sealed class CheckSetupToken(OrgstackDbContext db, TimeProvider clock)
{
    public async Task<Result<Done>> HandleAsync(string? token, CancellationToken ct)
    {
        if (await db.Users.AnyAsync(ct)) return SetupErrors.AlreadyDone;
        if (string.IsNullOrEmpty(token) || token.Length > 200) return SetupErrors.LinkInvalid;
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        var live = await db.ActionTokens.Live(hash, TokenPurpose.Setup, now).AnyAsync(ct);
        return live ? Done.Value : SetupErrors.LinkInvalid;
    }
}

/// <summary>
/// Consumes a setup link and creates the first Owner and organization, in one transaction: a refused form (weak
/// password, missing name) leaves the link usable, and two concurrent submissions cannot both succeed.
/// </summary>
public sealed class CompleteSetup(OrgstackDbContext db, CreateOrganization createOrganization, TimeProvider clock)
{
    public sealed record Request(string? Token, string? OrganizationName, string? Email, string? FirstName, string? LastName, string? Password);

    public async Task<Result<Organization>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Token) || request.Token.Length > 200) return SetupErrors.LinkInvalid;
        if (string.IsNullOrWhiteSpace(request.FirstName) || request.FirstName.Trim().Length > 100)
            return Error.Validation("setup.first_name_required", "Enter your first name (up to 100 characters).", "first_name", "is required.");
        if (request.LastName is { Length: > 100 })
            return Error.Validation("setup.last_name_too_long", "The last name can be at most 100 characters.", "last_name", "is too long.");
        if (string.IsNullOrEmpty(request.Password))
            return Error.Validation("password.too_short", "Choose a password.", "password", "is required.");

        var hash = Secrets.Hash(request.Token);
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Every node prints its own link; on PostgreSQL two used at once would both find no user. The bootstrap's
        // advisory lock (BootstrapModule) makes one setup at a time; on SQLite the write transaction already does.
        if (!db.IsSqlite) await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7341020001)", ct);
        var consumed = await db.ActionTokens.Live(hash, TokenPurpose.Setup, now)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.UsedAt, now), ct);
        if (consumed != 1) return SetupErrors.LinkInvalid;
        if (await db.Users.AnyAsync(ct)) return SetupErrors.AlreadyDone;

        var created = await createOrganization.HandleAsync(new CreateOrganization.Request(request.OrganizationName ?? "", request.Email ?? "",
            request.Password, request.FirstName.Trim(), (request.LastName ?? "").Trim()), actor, ct);
        if (!created.IsSuccess) return created.Error!;

        // Every other setup link printed by this or another node dies with this one.
        await db.ActionTokens.Where(t => t.Purpose == TokenPurpose.Setup && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.RevokedAt, now), ct);
        await transaction.CommitAsync(ct);
        return created;
    }
}
