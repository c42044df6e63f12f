using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Audit;
using Orgstack.Core.Common;
using Orgstack.Core.Export;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Console;

/// <summary>The Core queries and export behind the administration pages: access, isolation between organizations, contents.</summary>
public sealed class AdminPageQueriesTests : IDisposable
{
    private readonly AppFactory app = new();

    public void Dispose() => app.Dispose();

    private async Task<(Organization Org, Actor Owner, Actor Member, Person MemberShare)> SetupAsync(string prefix)
    {
        var org = await app.CreateOrganizationAsync(prefix + " Co", $"owner-{prefix}@example.test");
        var ownerUid = await app.WithDbAsync(db => db.Users.Where(u => u.Email == $"owner-{prefix}@example.test").Select(u => u.Uid).SingleAsync());
        var member = await app.Member(org.Uid, $"member-{prefix}@example.test").AddAsync();
        await app.AddConsoleStackAsync(org.Uid, "Website", ownerUid, (member.MembershipUid, "Developer"), (member.MembershipUid, "Content Manager"));
        return (org, new Actor(ownerUid, $"owner-{prefix}@example.test"), new Actor(member.UserUid!, member.Email), member);
    }

    private async Task<T> RunAsync<TService, T>(Func<TService, Task<T>> action) where TService : notnull
    {
        await using var scope = app.Scope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    [Fact]
    public async Task StackRoleCatalog_ListsStacksWithTheirRoles_ForAdminsOnly()
    {
        var (org, owner, member, _) = await SetupAsync("catalog");
        var list = await RunAsync<StackRoleCatalogQuery, Result<IReadOnlyList<StackChoice>>>(q => q.HandleAsync(org.Uid, owner, default));
        var stack = Assert.Single(list.Value);
        Assert.Equal(["Content Manager", "Developer"], stack.Roles.Select(r => r.Name));

        var refused = await RunAsync<StackRoleCatalogQuery, Result<IReadOnlyList<StackChoice>>>(q => q.HandleAsync(org.Uid, member, default));
        Assert.Equal(ErrorKind.Forbidden, refused.Error!.Kind);
    }

    [Fact]
    public async Task MemberDetail_ShowsStackRoles_AndAnotherOrganizationsShareIsNotFound()
    {
        var (org, owner, _, share) = await SetupAsync("detail");
        var (other, otherOwner, _, _) = await SetupAsync("detailother");
        var detail = await RunAsync<MemberDetailQuery, Result<MemberDetail>>(q => q.HandleAsync(org.Uid, share.MembershipUid, owner, default));
        Assert.Equal(2, Assert.Single(detail.Value.StackRoles).Value.Count);

        var elsewhere = await RunAsync<MemberDetailQuery, Result<MemberDetail>>(q => q.HandleAsync(other.Uid, share.MembershipUid, otherOwner, default));
        Assert.Equal(ErrorKind.NotFound, elsewhere.Error!.Kind);
    }

    [Fact]
    public async Task AuditLogExport_IsAudited_AndRefusedToMembers()
    {
        var (org, owner, member, _) = await SetupAsync("auditexport");
        var refused = await RunAsync<ExportAuditLogCsv, Result<ExportAuditLogCsv.Export>>(e => e.HandleAsync(new ListAuditLogs.Request(org.Uid), member, default));
        Assert.Equal(ErrorKind.Forbidden, refused.Error!.Kind);
        var badRange = await RunAsync<ExportAuditLogCsv, Result<ExportAuditLogCsv.Export>>(e => e.HandleAsync(
            new ListAuditLogs.Request(org.Uid, From: DateTimeOffset.UtcNow.AddDays(1), To: DateTimeOffset.UtcNow.AddDays(-1)), owner, default));
        Assert.Equal(ErrorKind.Validation, badRange.Error!.Kind);
        Assert.False(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.EventType == "export_audit_log")));

        await using var scope = app.Scope();
        var export = await scope.ServiceProvider.GetRequiredService<ExportAuditLogCsv>().HandleAsync(new ListAuditLogs.Request(org.Uid), owner, default);
        var writer = new StringWriter();
        await export.Value.WriteAsync(writer, default);
        var lines = writer.ToString().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("\"Time\",\"User\"", lines[0]);
        Assert.DoesNotContain(lines, l => l.Contains("export_audit_log", StringComparison.Ordinal));
        Assert.True(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.OrganizationUid == org.Uid && e.EventType == "export_audit_log")));
    }
}
