using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Accounts;

/// <summary>
/// Consecutive failed attempts (password or second factor), counted in the database so every node sees the same count.
/// An attempt first reserves a slot with one conditional <c>UPDATE … SET failed_attempts = failed_attempts + 1 …
/// RETURNING</c>; only then is the password checked. Parallel attempts therefore can never be lost, and at most
/// <see cref="LockoutOptions.MaxFailedAttempts"/> passwords are ever evaluated before the account locks.
/// </summary>
/// <remarks>
/// The csdx CLI retries a refused (422) login 3 times, so one mistyped password typed into <c>csdx auth:login</c>
/// reaches the server 4 times and counts as 4 failures. With the default of 5, a second mistyped CLI login locks the
/// account; raise <c>Orgstack:Lockout:MaxFailedAttempts</c> (e.g. to 10) where the CLI is the main client.
/// </remarks>
public sealed class AccountLockout(OrgstackDbContext db, Mail.MailComposer mail, OrgstackOptions options, TimeProvider clock)
{
    public int MaxFailedAttempts => Math.Max(1, options.Lockout.MaxFailedAttempts);

    /// <summary>Lifts an expired lock when automatic unlock is configured. True when the account is (now) unlocked.</summary>
    public async Task<bool> AutoUnlockAsync(User user, CancellationToken ct)
    {
        if (user.LockedAt is null) return true;
        if (options.Lockout.AutoUnlockMinutes <= 0) return false;
        var now = clock.GetUtcNow();
        if (user.LockedAt.Value.AddMinutes(options.Lockout.AutoUnlockMinutes) > now) return false;
        var lockedAt = user.LockedAt.Value;
        await db.Users.Where(u => u.Uid == user.Uid && u.LockedAt == lockedAt)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, (DateTimeOffset?)null).SetProperty(x => x.FailedAttempts, 0), ct);
        user.LockedAt = null;
        user.FailedAttempts = 0;
        return true;
    }

    /// <summary>
    /// Reserves one attempt: the new count, or null when the account is locked (the caller then refuses without
    /// evaluating the password). When every remaining attempt is already in flight, it waits for them to settle
    /// (a success frees the slots, the last failure locks), so parallel sign-ins with the right password all succeed
    /// while a parallel burst of guesses never gets more than the maximum evaluated.
    /// </summary>
    public async Task<int?> ReserveAsync(string userUid, CancellationToken ct)
    {
        var max = MaxFailedAttempts;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(Math.Max(1, options.Lockout.InFlightWaitSeconds));
        while (true)
        {
            var rows = await db.Database.SqlQuery<int>(
                $"UPDATE users SET failed_attempts = failed_attempts + 1 WHERE uid = {userUid} AND locked_at IS NULL AND failed_attempts < {max} RETURNING failed_attempts AS \"Value\"")
                .ToListAsync(ct);
            if (rows.Count == 1) return rows[0];
            var locked = await db.Users.AsNoTracking().Where(u => u.Uid == userUid).Select(u => u.LockedAt != null).FirstOrDefaultAsync(ct);
            if (locked) return null;
            if (DateTime.UtcNow >= deadline)
            {
                // Nothing settled the count (a node stopped mid-attempt, or the maximum was lowered): the count is at
                // the maximum, so the account is locked, as it would have been.
                var now = clock.GetUtcNow();
                await db.Users.Where(u => u.Uid == userUid && u.LockedAt == null && u.FailedAttempts >= max)
                    .ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, now), ct);
                return null;
            }
            await Task.Delay(InFlightPoll, ct);
        }
    }

    private static readonly TimeSpan InFlightPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>The reserved attempt failed: it stays counted; the attempt that reaches the maximum locks the account.</summary>
    public async Task<bool> FailedAsync(User user, int reservedCount, string? remoteAddress, CancellationToken ct)
    {
        if (reservedCount < MaxFailedAttempts) return false;
        var now = clock.GetUtcNow();
        var locked = await db.Users.Where(u => u.Uid == user.Uid && u.LockedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, now), ct);
        if (locked == 1)
        {
            db.AuditEvents.Add(Audit.Audit.Event(new Actor("system", "system", remoteAddress), now, null, "user", "locked",
                "user", user.Uid, user.Email, new { failed_attempts = reservedCount }));
            var until = options.Lockout.AutoUnlockMinutes > 0
                ? $"It opens again by itself after {options.Lockout.AutoUnlockMinutes} minutes, or an administrator of your organization can unlock it."
                : "An administrator of your organization can unlock it.";
            db.OutboxMessages.Add(mail.Compose("account_locked", user.Email, "Your Orgstack account was locked", null,
                [$"Your Orgstack account was locked after {reservedCount} failed sign-in attempts in a row.", until,
                 "If these attempts were not yours, tell your administrator and change your password once you are back in."]));
            await db.SaveChangesAsync(ct);
        }
        return locked == 1;
    }

    /// <summary>The reserved attempt was not a failure (e.g. the second factor is still to come): give the slot back.</summary>
    public Task<int> ReleaseAsync(string userUid, CancellationToken ct) =>
        db.Users.Where(u => u.Uid == userUid && u.FailedAttempts > 0 && u.LockedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.FailedAttempts, x => x.FailedAttempts - 1), ct);

    /// <summary>A complete, successful authentication: the consecutive count starts again.</summary>
    public Task<int> SucceededAsync(string userUid, CancellationToken ct) =>
        db.Users.Where(u => u.Uid == userUid && u.LockedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.FailedAttempts, 0), ct);
}
