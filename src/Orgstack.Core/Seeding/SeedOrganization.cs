using System.Data.Common;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Core.Seeding;

public sealed record SeedSummary(
    string OrganizationUid, string OrganizationName, string OwnerEmail, string OwnerPassword,
    int Members, int PendingInvitations, int Stacks, int StackRoleAssignments, TimeSpan Elapsed);

/// <summary>
/// Creates a realistic organization for demos and benchmarks: an Owner with a known password, N people (accepted
/// members with names and last sign-ins spread over a year, and pending invitations), stacks with their built-in
/// roles, and stack roles for part of the members. Rows go in through bulk inserts in one transaction (prepared
/// INSERTs on SQLite, binary COPY on PostgreSQL), so a million members take seconds, not hours. Operators only
/// (the CLI); it is not reachable through the API.
/// </summary>
public sealed class SeedOrganization(OrgstackDbContext db, CreateOrganization createOrganization, TimeProvider clock)
{
    public sealed record Request(
        int Members = 100_000, string Name = "Seeded Org", string? OwnerEmail = null, string OwnerPassword = "Correct-Horse-Battery-9",
        int? Stacks = null, double PendingShare = 0.05, int RandomSeed = 42);

    private static readonly string[] FirstNames =
    [
        "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "John", "Radia", "Tim", "Katherine",
        "Edsger", "Hedy", "Donald", "Sophie", "Bjarne", "Anita", "Guido", "Karen", "James", "Mary", "Niklaus", "Lynn", "Leslie",
        "Shafi", "Whitfield", "Jean", "Vint", "Ruth", "Ivan", "Carol", "Claude", "Elena", "Yukihiro", "Amara", "Mateo", "Chloé", "Søren",
    ];

    private static readonly string[] LastNames =
    [
        "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "McCarthy", "Perlman",
        "Berners-Lee", "Johnson", "Dijkstra", "Lamarr", "Knuth", "Wilson", "Stroustrup", "Borg", "van Rossum", "Spärck Jones",
        "Gosling", "Shaw", "Wirth", "Conway", "Lamport", "Goldwasser", "Diffie", "Bartik", "Cerf", "Teitelbaum", "Sutherland",
        "Shaw", "Shannon", "Garcia", "Matsumoto", "Okafor", "Rossi", "Dubois", "Kierkegaard",
    ];

    private static readonly string[] StackNames = ["Marketing site", "Docs", "Mobile app", "Intranet", "Shop", "Blog", "Help center", "Campaigns"];

    public async Task<Result<SeedSummary>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (!actor.IsSystem) return Error.Forbidden("seed.operator_only", "Only an operator can seed an organization.");
        if (request.Members is < 0 or > 50_000_000) return Error.Validation("seed.members_invalid", "Members must be between 0 and 50,000,000.", "members");
        if (request.PendingShare is < 0 or > 1) return Error.Validation("seed.pending_invalid", "The pending share must be between 0 and 1.", "pending");
        var watch = Stopwatch.StartNew();
        var random = new Random(request.RandomSeed);
        // Uids share one random prefix per run and then count up: they look like any other uid, and the primary-key
        // indexes are filled in order, which keeps a million inserts fast.
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string Uid(int kind, long i) => $"blt{prefix}{kind:x1}{i:x7}";
        var domain = $"seed-{prefix}.example.com";
        var ownerEmail = Emails.Normalize(request.OwnerEmail ?? $"owner@{domain}");

        var now = clock.GetUtcNow();
        var stackCount = request.Stacks ?? Math.Clamp(request.Members / 2_000, 3, 50);
        var pendingTarget = (int)Math.Round(request.Members * request.PendingShare);
        var assignments = 0;

        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // One transaction for everything, the organization and its Owner included: a failed seed leaves nothing.
            await using var efTransaction = await db.Database.BeginTransactionAsync(ct);
            var transaction = efTransaction.GetDbTransaction();
            var created = await createOrganization.HandleAsync(
                new CreateOrganization.Request(request.Name, ownerEmail, request.OwnerPassword, "Olivia", "Owner"), actor, ct);
            if (!created.IsSuccess) return created.Error!;
            var organization = created.Value;
            var ownerUid = await db.Users.Where(u => u.Email == ownerEmail).Select(u => u.Uid).SingleAsync(ct);
            var postgres = connection is NpgsqlConnection;
            var secondaryIndexes = new List<string>();
            if (!postgres)
            {
                // Secondary indexes are dropped and built again after the inserts (inside the same transaction): one
                // sort per index instead of a million random B-tree inserts, which is what keeps a million rows under a minute.
                await using var pragma = connection.CreateCommand();
                pragma.Transaction = transaction;
                pragma.CommandText = "PRAGMA cache_size=-131072;";
                await pragma.ExecuteNonQueryAsync(ct);
                pragma.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('users', 'memberships', 'action_tokens', 'stack_role_assignments')";
                var drops = new List<string>();
                await using (var reader = await pragma.ExecuteReaderAsync(ct))
                    while (await reader.ReadAsync(ct))
                    {
                        drops.Add($"DROP INDEX \"{reader.GetString(0)}\";");
                        secondaryIndexes.Add(reader.GetString(1) + ";");
                    }
                if (drops.Count > 0)
                {
                    pragma.CommandText = string.Concat(drops);
                    await pragma.ExecuteNonQueryAsync(ct);
                }
            }

            // Stacks, each with the three built-in roles.
            var stackUids = new string[stackCount];
            var roleUids = new string[stackCount][];
            await using (var stacks = Writer(connection, transaction, "stacks",
                             ["uid", "api_key", "organization_uid", "name", "description", "master_locale", "owner_user_uid", "created_at", "updated_at"]))
            await using (var roles = Writer(connection, transaction, "stack_roles",
                             ["uid", "stack_uid", "name", "description", "built_in", "rules_json", "created_by_user_uid", "updated_by_user_uid", "created_at", "updated_at"]))
            {
                for (var s = 0; s < stackCount; s++)
                {
                    stackUids[s] = Uid(1, s);
                    var name = StackNames[s % StackNames.Length] + (s >= StackNames.Length ? $" {s / StackNames.Length + 1}" : "");
                    var createdAt = now.AddDays(-400 + s);
                    await stacks.RowAsync([stackUids[s], Uid(2, s), organization.Uid, name, "", "en-us", ownerUid, createdAt, createdAt], ct);
                    roleUids[s] = new string[BuiltInRoles.All.Count];
                    for (var r = 0; r < BuiltInRoles.All.Count; r++)
                    {
                        var (roleName, description, rules) = BuiltInRoles.All[r];
                        roleUids[s][r] = Uid(3, s * 8 + r);
                        await roles.RowAsync([roleUids[s][r], stackUids[s], roleName, description, true, JsonNode.Parse(rules)!.ToJsonString(),
                            ownerUid, ownerUid, createdAt, createdAt], ct);
                    }
                }
            }

            await using (var users = Writer(connection, transaction, "users",
                             ["uid", "email", "first_name", "last_name", "company", "password_hash", "active", "created_at", "updated_at", "last_login_at",
                              "failed_attempts", "locked_at", "must_change_password", "totp_secret", "totp_enabled", "totp_last_step", "must_enroll_mfa"]))
            await using (var memberships = Writer(connection, transaction, "memberships",
                             ["uid", "organization_uid", "email", "user_uid", "role", "status", "invited_by_user_uid", "message", "invited_at",
                              "invitation_expires_at", "accepted_at", "created_at", "updated_at", "access_without_sso", "first_name", "last_name", "sort_name", "last_login_at"]))
            await using (var tokens = Writer(connection, transaction, "action_tokens",
                             ["token_hash", "uid", "purpose", "user_uid", "organization_uid", "email", "subject_uid", "created_at", "expires_at", "used_at", "revoked_at"]))
            await using (var grants = Writer(connection, transaction, "stack_role_assignments", ["stack_uid", "membership_uid", "role_uid", "created_at"]))
            {
                // The Owner administers every stack.
                var ownerMembership = await db.Memberships.Where(m => m.OrganizationUid == organization.Uid && m.UserUid == ownerUid).Select(m => m.Uid).SingleAsync(ct);
                for (var s = 0; s < stackCount; s++)
                {
                    await grants.RowAsync([stackUids[s], ownerMembership, roleUids[s][0], now], ct);
                    assignments++;
                }

                // Pending invitations are spread evenly among the members.
                var pendingEvery = pendingTarget == 0 ? int.MaxValue : Math.Max(1, request.Members / pendingTarget);
                var pending = 0;
                for (var i = 0; i < request.Members; i++)
                {
                    var first = FirstNames[random.Next(FirstNames.Length)];
                    var last = LastNames[random.Next(LastNames.Length)];
                    var email = Emails.Normalize($"{Ascii(first)}.{Ascii(last)}.{i}@{domain}");
                    var membershipUid = Uid(5, i);
                    var role = random.Next(50) == 0 ? nameof(OrgRole.Admin) : nameof(OrgRole.Member);
                    var invitedAt = now.AddMinutes(-random.Next(60 * 24 * 540));
                    var isPending = pending < pendingTarget && i % pendingEvery == pendingEvery - 1;
                    if (isPending)
                    {
                        pending++;
                        invitedAt = now.AddMinutes(-random.Next(60 * 24 * 6));
                        var expires = invitedAt.AddDays(7);
                        await memberships.RowAsync([membershipUid, organization.Uid, email, null, role, nameof(MembershipStatus.Pending), ownerUid, null, invitedAt,
                            expires, null, invitedAt, invitedAt, false, "", "", email, null], ct);
                        await tokens.RowAsync([Secrets.Hash(Secrets.NewToken()), Uid(6, i), nameof(TokenPurpose.Invitation), null, organization.Uid, email,
                            membershipUid, invitedAt, expires, null, null], ct);
                    }
                    else
                    {
                        var userUid = Uid(4, i);
                        var acceptedAt = Min(invitedAt.AddMinutes(random.Next(60 * 24 * 3)), now);
                        // One in twenty has never signed in; the rest within the last year.
                        DateTimeOffset? lastLogin = random.Next(20) == 0 ? null : now.AddSeconds(-random.Next(365 * 24 * 3600));
                        if (lastLogin < acceptedAt) lastLogin = acceptedAt;
                        await users.RowAsync([userUid, email, first, last, "", null, true, acceptedAt, acceptedAt, lastLogin, 0, null, false, null, false, null, false], ct);
                        await memberships.RowAsync([membershipUid, organization.Uid, email, userUid, role, nameof(MembershipStatus.Accepted), ownerUid, null, invitedAt,
                            null, acceptedAt, invitedAt, acceptedAt, false, first, last, Membership.NameSortKey(first, last, email), lastLogin], ct);
                    }
                    // Three in ten hold a role in one stack, one in ten in a second one too.
                    var draw = random.Next(10);
                    if (draw < 3)
                    {
                        var s1 = random.Next(stackCount);
                        await grants.RowAsync([stackUids[s1], membershipUid, roleUids[s1][1 + random.Next(2)], invitedAt], ct);
                        assignments++;
                        if (draw == 0 && stackCount > 1)
                        {
                            var s2 = (s1 + 1 + random.Next(stackCount - 1)) % stackCount;
                            await grants.RowAsync([stackUids[s2], membershipUid, roleUids[s2][random.Next(3)], invitedAt], ct);
                            assignments++;
                        }
                    }
                }
                pendingTarget = pending;
            }

            if (secondaryIndexes.Count > 0)
            {
                await using var rebuild = connection.CreateCommand();
                rebuild.Transaction = transaction;
                rebuild.CommandText = string.Concat(secondaryIndexes);
                rebuild.CommandTimeout = 0;
                await rebuild.ExecuteNonQueryAsync(ct);
            }

            var maxUsers = (int)Math.Min(int.MaxValue, Math.Max(1_000L, (request.Members + 1L) * 2 + 20_000));
            await db.Organizations.Where(o => o.Uid == organization.Uid)
                .ExecuteUpdateAsync(o => o.SetProperty(x => x.MaxUsers, maxUsers).SetProperty(x => x.MaxStacks, Math.Max(100, stackCount * 2)), ct);
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, organization.Uid, "organization", "seed", "organization", organization.Uid, organization.Name,
                new { members = request.Members, pending = pendingTarget, stacks = stackCount, stack_role_assignments = assignments }));
            await db.SaveChangesAsync(ct);
            await efTransaction.CommitAsync(ct);
            return new SeedSummary(organization.Uid, organization.Name, ownerEmail, request.OwnerPassword, request.Members - pendingTarget, pendingTarget,
                stackCount, assignments, watch.Elapsed);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string Ascii(string name)
    {
        Span<char> buffer = stackalloc char[name.Length];
        var length = 0;
        foreach (var c in name.Normalize(System.Text.NormalizationForm.FormD))
        {
            if (char.IsAsciiLetter(c)) buffer[length++] = char.ToLowerInvariant(c);
            else if (c is 'ø' or 'Ø') buffer[length++] = 'o';
        }
        return new string(buffer[..length]);
    }

    private static ITableWriter Writer(DbConnection connection, DbTransaction transaction, string table, string[] columns) =>
        connection is NpgsqlConnection npgsql ? new CopyWriter(npgsql, table, columns) : new InsertWriter(connection, transaction, table, columns);

    private interface ITableWriter : IAsyncDisposable
    {
        ValueTask RowAsync(object?[] values, CancellationToken ct);
    }

    /// <summary>SQLite: one prepared INSERT, re-executed with new parameter values; DateTimeOffset as Unix ms like the model.</summary>
    private sealed class InsertWriter : ITableWriter
    {
        private readonly DbCommand command;
        private readonly DbParameter[] parameters;

        public InsertWriter(DbConnection connection, DbTransaction transaction, string table, string[] columns)
        {
            command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => "$p" + i))})";
            parameters = new DbParameter[columns.Length];
            for (var i = 0; i < columns.Length; i++)
            {
                parameters[i] = command.CreateParameter();
                parameters[i].ParameterName = "$p" + i;
                command.Parameters.Add(parameters[i]);
            }
            command.Prepare();
        }

        public ValueTask RowAsync(object?[] values, CancellationToken ct)
        {
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] switch
                {
                    null => DBNull.Value,
                    DateTimeOffset d => d.ToUnixTimeMilliseconds(),
                    bool b => b ? 1L : 0L,
                    var v => v,
                };
            }
            // Synchronous on purpose: Microsoft.Data.Sqlite has no asynchronous I/O, and the async path only adds overhead.
            command.ExecuteNonQuery();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => command.DisposeAsync();
    }

    /// <summary>PostgreSQL: binary COPY, the fastest bulk path.</summary>
    private sealed class CopyWriter(NpgsqlConnection connection, string table, string[] columns) : ITableWriter
    {
        private readonly NpgsqlBinaryImporter importer =
            connection.BeginBinaryImport($"COPY \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) FROM STDIN (FORMAT BINARY)");

        public async ValueTask RowAsync(object?[] values, CancellationToken ct)
        {
            await importer.StartRowAsync(ct);
            foreach (var value in values)
            {
                switch (value)
                {
                    case null: await importer.WriteNullAsync(ct); break;
                    case string s: await importer.WriteAsync(s, NpgsqlDbType.Text, ct); break;
                    case DateTimeOffset d: await importer.WriteAsync(d.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct); break;
                    case bool b: await importer.WriteAsync(b, NpgsqlDbType.Boolean, ct); break;
                    case int n: await importer.WriteAsync(n, NpgsqlDbType.Integer, ct); break;
                    case long l: await importer.WriteAsync(l, NpgsqlDbType.Bigint, ct); break;
                    default: throw new ArgumentException($"Unsupported column value {value.GetType()}.");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await importer.CompleteAsync();
            await importer.DisposeAsync();
        }
    }
}
