using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Tests.Support;

/// <summary>The callers of the authorization matrix, in the order of its expectation rows.</summary>
public enum MatrixCaller { Anonymous, Member, Admin, Owner, StackMember, OtherOwner, Removed, Locked }

/// <summary>
/// One world for the reliability tests, built through the real use cases: organization A with an Owner, an Admin,
/// a Member, a Member with a stack role, a removed member and a locked member, a stack, and organization B.
/// </summary>
public sealed class ReliabilityWorld
{
    public required AppFactory App { get; init; }
    public required string OrgUid { get; init; }
    public required string OtherOrgUid { get; init; }
    public required Actor Owner { get; init; }
    public required TestStack Stack { get; init; }
    public required Dictionary<MatrixCaller, string?> Emails { get; init; }
    public required Dictionary<MatrixCaller, ApiClient> Clients { get; init; }

    public static async Task<ReliabilityWorld> BuildAsync(AppFactory app)
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var (other, otherOwner) = await app.NewOrganizationAsync();
        var stack = await app.ReliabilityStackAsync(org.Uid, owner);
        var emails = new Dictionary<MatrixCaller, string?>
        {
            [MatrixCaller.Anonymous] = null,
            [MatrixCaller.Owner] = owner.Email,
            [MatrixCaller.OtherOwner] = otherOwner.Email,
        };
        emails[MatrixCaller.Admin] = (await app.Member(org.Uid, MembersScenario.Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner)).Email;
        emails[MatrixCaller.Member] = (await app.Member(org.Uid, MembersScenario.Unique("member")).InviteAndAcceptAsync(owner)).Email;
        emails[MatrixCaller.StackMember] = (await app.Member(org.Uid, MembersScenario.Unique("stackmember")).InviteAndAcceptAsync(owner, stack, "Developer")).Email;
        emails[MatrixCaller.Removed] = (await app.Member(org.Uid, MembersScenario.Unique("removed")).InviteAndAcceptAsync(owner)).Email;
        emails[MatrixCaller.Locked] = (await app.Member(org.Uid, MembersScenario.Unique("locked")).InviteAndAcceptAsync(owner)).Email;

        var clients = new Dictionary<MatrixCaller, ApiClient> { [MatrixCaller.Anonymous] = app.Client() };
        foreach (var (caller, email) in emails)
            if (email is not null) clients[caller] = await app.SignedInAsync(email);

        // Removed through the use case, after signing in: the session stays, the membership is gone.
        var removed = await app.RunAsync<RemoveMembers, IReadOnlyList<Membership>>(u =>
            u.HandleAsync(new RemoveMembers.Request(org.Uid, [emails[MatrixCaller.Removed]!]), owner, CancellationToken.None));
        Assert.True(removed.IsSuccess, removed.Error?.Message);

        // Locked by failed sign-ins, after signing in: the earlier session must stop working.
        var guesser = app.Client();
        for (var i = 0; i < 10; i++)
            await guesser.PostAsync("/v3/user-session", new { user = new { email = emails[MatrixCaller.Locked], password = "wrong password " + i } });
        Assert.True(await app.DbAsync(db => db.Users.AnyAsync(u => u.Email == emails[MatrixCaller.Locked] && u.LockedAt != null)));

        return new ReliabilityWorld
        {
            App = app, OrgUid = org.Uid, OtherOrgUid = other.Uid, Owner = owner, Stack = stack, Emails = emails, Clients = clients,
        };
    }
}

public static class ReliabilityScenario
{
    /// <summary>A stack created by the CreateStack use case, with its built-in role uids by name.</summary>
    public static async Task<TestStack> ReliabilityStackAsync(this AppFactory app, string orgUid, Actor owner, string name = "Website")
    {
        var created = await app.RunAsync<CreateStack, Stack>(u => u.HandleAsync(new CreateStack.Request(orgUid, name, null, null), owner, CancellationToken.None));
        Assert.True(created.IsSuccess, created.Error?.Message);
        var roles = await app.DbAsync(db => db.StackRoles.AsNoTracking().Where(r => r.StackUid == created.Value.Uid).ToDictionaryAsync(r => r.Name, r => r.Uid));
        return new TestStack(created.Value.Uid, created.Value.ApiKey, name, roles);
    }

    /// <summary>Every /v3 endpoint of the running app as "METHOD /pattern".</summary>
    public static List<string> ReliabilityEndpoints(this AppFactory app)
    {
        var sources = app.Services.GetServices<EndpointDataSource>();
        return sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v3", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(m => m + " " + e.RoutePattern.RawText!.TrimEnd('/')))
            .Distinct().OrderBy(x => x, StringComparer.Ordinal).ToList();
    }

    /// <summary>Row counts and a checksum of every table, to prove a request changed nothing.</summary>
    public static async Task<Dictionary<string, string>> ReliabilitySnapshotAsync(this Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var result = new Dictionary<string, string>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            foreach (var entity in db.Model.GetEntityTypes())
            {
                var table = entity.GetTableName();
                if (table is null || result.ContainsKey(table)) continue;
                await using var command = connection.CreateCommand();
                command.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await command.ExecuteReaderAsync();
                var rows = new List<string>();
                while (await reader.ReadAsync())
                {
                    var values = new object[reader.FieldCount];
                    reader.GetValues(values);
                    rows.Add(string.Join("\u001f", values.Select(v => v is byte[] b ? Convert.ToHexString(b) : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
                }
                rows.Sort(StringComparer.Ordinal);
                var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\u001e", rows))));
                result[table] = $"{rows.Count}:{hash[..16]}";
            }
        }
        finally { await db.Database.CloseConnectionAsync(); }
        return result;
    }

    public static bool IsErrorShape(this ApiResponse response)
    {
        try
        {
            var json = response.Json;
            return !string.IsNullOrWhiteSpace(json["error_message"]?.GetValue<string>()) && json["error_code"] is not null;
        }
        catch (System.Text.Json.JsonException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    public static bool Is(this ApiResponse response, int status) => (int)response.Status == status || (status == 200 && response.Status is HttpStatusCode.Created);
}
