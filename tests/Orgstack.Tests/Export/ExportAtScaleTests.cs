using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Export;

[CollectionDefinition("Memory", DisableParallelization = true)]
public sealed class MemoryCollection;

/// <summary>A million-row organization: the export streams with flat memory. Runs alone so the heap reading is its own.</summary>
[Collection("Memory")]
public sealed class ExportAtScaleTests : IClassFixture<AppFactory>
{
    private const int Rows = 1_000_000;
    private readonly AppFactory app;
    private readonly ITestOutputHelper output;

    public ExportAtScaleTests(AppFactory app, ITestOutputHelper output) => (this.app, this.output) = (app, output);

    [Fact]
    public async Task Export_OfAMillionMembers_StreamsInOrder_WithFlatMemory()
    {
        var org = await app.CreateOrganizationAsync("Huge Co", "owner@huge.test");
        var clock = Stopwatch.StartNew();
        await app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync($"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {Rows})
            INSERT INTO memberships (uid, organization_uid, email, role, status, invited_at, invitation_expires_at, created_at, updated_at,
                                     access_without_sso, first_name, last_name, sort_name)
            SELECT 'blt' || printf('%016x', i), {"{0}"}, 'user' || printf('%07d', i) || '@huge.test', 'Member', 'Pending',
                   1760000000000, 4102444800000, 1760000000000, 1760000000000, 0, 'First' || i, 'Last' || i, 'first' || i
            FROM n
            """, org.Uid));
        output.WriteLine($"Inserted {Rows:N0} rows in {clock.Elapsed}.");

        var client = app.Client();
        await client.LoginAsync("owner@huge.test", Scenario.Password);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        clock.Restart();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v3/organizations/{org.Uid}/users/export.csv");
        request.Headers.TryAddWithoutValidation("authtoken", client.AuthToken);
        using var response = await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var header = await reader.ReadLineAsync();
        Assert.StartsWith("\"Email\",", header, StringComparison.Ordinal);
        var count = 0;
        string? previous = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            var email = line[1..line.IndexOf('"', 1)];
            if (previous is not null) Assert.True(string.CompareOrdinal(previous, email) < 0, $"{previous} before {email}");
            previous = email;
            if (++count % 100_000 == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
        }
        output.WriteLine($"Exported {count:N0} rows in {clock.Elapsed}; live heap baseline {baseline / 1048576} MB, peak {peak / 1048576} MB.");

        Assert.Equal(Rows + 1, count);
        Assert.True(peak - baseline < 64L * 1024 * 1024, $"Live heap grew by {(peak - baseline) / 1048576} MB while exporting.");
    }
}
