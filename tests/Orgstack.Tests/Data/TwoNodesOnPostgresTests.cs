using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Data;

/// <summary>Two server nodes on one PostgreSQL database: nothing lives in a node.</summary>
public sealed class TwoNodesOnPostgresTests : IClassFixture<PgAppFactory>, IDisposable
{
    private readonly PgAppFactory first;
    private readonly AppFactory second = new();

    public TwoNodesOnPostgresTests(PgAppFactory first)
    {
        this.first = first;
        second.OnPostgres(first.ConnectionString);
    }

    public void Dispose() => second.Dispose();

    [Fact]
    public async Task ASessionMadeOnOneNode_WorksOnTheOther_AndSignOutOnTheOtherEndsIt()
    {
        var org = await first.CreateOrganizationAsync("Two Nodes", "two-nodes@example.test");
        var a = first.Client();
        await a.LoginAsync("two-nodes@example.test", Scenario.Password);
        var b = second.Client();
        b.AuthToken = a.AuthToken;

        var me = (await b.GetAsync("/v3/user")).EnsureStatus(HttpStatusCode.OK).Json["user"]!;
        Assert.Equal("two-nodes@example.test", me["email"]!.GetValue<string>());
        (await b.GetAsync($"/v3/organizations/{org.Uid}/plan")).EnsureStatus(HttpStatusCode.OK);

        (await b.DeleteAsync("/v3/user-session")).EnsureStatus(HttpStatusCode.OK);
        (await a.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public void WhatOneNodeProtects_TheOtherNodeUnprotects()
    {
        var secret = "secret-" + Guid.NewGuid();
        var sealedText = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Orgstack.TwoNodes").Protect(secret);
        Assert.Equal(secret, second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Orgstack.TwoNodes").Unprotect(sealedText));
    }
}
