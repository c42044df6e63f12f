using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Reliability;

/// <summary>Two nodes started on one empty PostgreSQL database each print a setup link; both links used at once.</summary>
public sealed class SetupLinkRaceTests(PgServer pg) : IClassFixture<PgServer>
{
    [Fact]
    public async Task SetupLinksOfTwoNodes_UsedAtTheSameMoment_CreateOneOwnerAndOneOrganization()
    {
        var nodes = Enumerable.Range(0, 2).Select(_ => new AppFactory().OnPostgres(pg.ConnectionString)).ToList();
        try
        {
            var tokens = new List<string>();
            foreach (var node in nodes)
            {
                await using var scope = node.Services.CreateAsyncScope();
                tokens.Add((await scope.ServiceProvider.GetRequiredService<IssueSetupToken>().HandleAsync(CancellationToken.None)).Value!);
            }

            var results = await Task.WhenAll(nodes.Select((node, i) => Task.Run(async () =>
            {
                await using var scope = node.Services.CreateAsyncScope();
                var complete = scope.ServiceProvider.GetRequiredService<CompleteSetup>();
                return await complete.HandleAsync(new CompleteSetup.Request(tokens[i], $"Org {i}", $"owner{i}@setup-race.test", "Fay", "First", Scenario.Password),
                    Actor.System("127.0.0.1"), CancellationToken.None);
            })));

            Assert.Single(results, r => r.IsSuccess);
            Assert.Equal(1, await nodes[0].DbAsync(db => db.Users.CountAsync()));
            Assert.Equal(1, await nodes[0].DbAsync(db => db.Organizations.CountAsync()));
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }
}
