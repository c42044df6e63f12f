using Microsoft.EntityFrameworkCore;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Reliability;

/// <summary>Several nodes starting together on one empty PostgreSQL database, each with the bootstrap settings.</summary>
public sealed class NodeStartupTests(PgServer pg) : IClassFixture<PgServer>
{
    [Fact]
    public async Task ThreeNodesStartingTogether_WithBootstrapSettings_CreateOneOwnerAndOneOrganization()
    {
        var nodes = Enumerable.Range(0, 3).Select(_ =>
        {
            var node = new AppFactory().OnPostgres(pg.ConnectionString);
            node.Settings["ORGSTACK_BOOTSTRAP_EMAIL"] = "first-owner@example.test";
            node.Settings["ORGSTACK_BOOTSTRAP_PASSWORD"] = Scenario.Password;
            node.Settings["ORGSTACK_BOOTSTRAP_ORG"] = "First Co";
            return node;
        }).ToList();
        try
        {
            await Task.WhenAll(nodes.Select(n => Task.Run(() => n.Services)));
            Assert.Equal(1, await nodes[0].DbAsync(db => db.Users.CountAsync()));
            Assert.Equal(1, await nodes[0].DbAsync(db => db.Organizations.CountAsync()));
            Assert.Equal(1, await nodes[0].DbAsync(db => db.Memberships.CountAsync()));
            // Each node serves the one Owner.
            foreach (var node in nodes) (await node.Client().SignInAsync("first-owner@example.test", Scenario.Password)).EnsureStatus(System.Net.HttpStatusCode.OK);
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }
}
