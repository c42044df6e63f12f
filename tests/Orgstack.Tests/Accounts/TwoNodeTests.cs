using System.Diagnostics;
using System.Net;
using Orgstack.Core.Security;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Accounts;

/// <summary>Two servers on one database, as two nodes behind a load balancer.</summary>
public sealed class TwoNodeTests : IDisposable
{
    private readonly SecurityAppFactory nodeA = new();
    private readonly SecurityAppFactory nodeB = new();

    public TwoNodeTests()
    {
        nodeB.Settings["Orgstack:DataDirectory"] = nodeA.DataDirectory;
    }

    public void Dispose()
    {
        nodeB.Dispose();
        nodeA.Dispose();
    }

    [Fact]
    public async Task ParallelWrongAttemptsOverTwoNodes_LockAfterExactlyTheMaximum()
    {
        var email = AccountsScenario.UniqueEmail("two-node");
        await nodeA.CreateOrganizationAsync("Two Node Co", email);
        _ = nodeB.Client();

        var responses = await Task.WhenAll(Enumerable.Range(0, 15).Select(i =>
            (i % 2 == 0 ? nodeA : nodeB).Client().SignInAsync(email, "wrong password " + i)));

        Assert.All(responses, r => r.EnsureError(HttpStatusCode.UnprocessableEntity));
        var user = await nodeB.UserAsync(email);
        Assert.Equal(5, user.FailedAttempts);
        Assert.NotNull(user.LockedAt);
        (await nodeB.Client().SignInAsync(email, Scenario.Password)).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task TotpCodeUsedOnOneNode_IsRefusedOnTheOther_AndTheOtherNodeReadsTheSecret()
    {
        var email = AccountsScenario.UniqueEmail("two-node-tfa");
        await nodeA.CreateOrganizationAsync("Two Node Co", email);
        var client = nodeA.Client();
        await client.LoginAsync(email, Scenario.Password);
        var (secret, _) = await client.EnrollTotpAsync(nodeA.Clock);
        nodeA.Clock.Advance(TimeSpan.FromSeconds(30));
        nodeB.Clock.Advance(TimeSpan.FromSeconds(30));
        var code = Totp.Code(secret, Totp.StepAt(nodeA.Clock.GetUtcNow()));

        (await nodeA.Client().SignInAsync(email, Scenario.Password, code)).EnsureStatus(HttpStatusCode.OK);
        (await nodeB.Client().SignInAsync(email, Scenario.Password, code)).EnsureError(HttpStatusCode.Unauthorized);

        nodeB.Clock.Advance(TimeSpan.FromSeconds(30));
        var next = Totp.Code(secret, Totp.StepAt(nodeB.Clock.GetUtcNow()));
        (await nodeB.Client().SignInAsync(email, Scenario.Password, next)).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SessionRevokedOnOneNode_IsRefusedOnTheOtherAtOnce()
    {
        var email = AccountsScenario.UniqueEmail("two-node-session");
        await nodeA.CreateOrganizationAsync("Two Node Co", email);
        var onA = nodeA.Client();
        await onA.LoginAsync(email, Scenario.Password);
        var onB = nodeB.Client();
        onB.AuthToken = onA.AuthToken;
        (await onB.GetAsync("/v3/user")).EnsureStatus(HttpStatusCode.OK);

        var other = nodeA.Client();
        await other.LoginAsync(email, Scenario.Password);
        (await other.PostAsync("/v3/user/change_password", new { user = new { current_password = Scenario.Password, password = "a changed passphrase", password_confirmation = "a changed passphrase" } }))
            .EnsureStatus(HttpStatusCode.OK);

        (await onB.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
    }
}

public sealed class SignInTimingTests
{
    [Fact]
    public async Task UnknownAddress_TakesAboutAsLongAsAWrongPassword()
    {
        using var app = new SecurityAppFactory();
        app.Settings["Orgstack:Passwords:Iterations"] = "30000";
        var email = AccountsScenario.UniqueEmail("timing");
        await app.CreateOrganizationAsync("Timing Co", email);
        var client = app.Client();
        await client.SignInAsync(email, "warm up");
        var known = new List<double>();
        var unknown = new List<double>();

        for (var i = 0; i < 20; i++)
        {
            var watch = Stopwatch.StartNew();
            await client.SignInAsync(email, "wrong password " + i);
            known.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await client.SignInAsync(AccountsScenario.UniqueEmail("ghost"), "wrong password " + i);
            unknown.Add(watch.Elapsed.TotalMilliseconds);
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Assert.True(Median(unknown) > Median(known) * 0.4, $"unknown {Median(unknown):F1} ms vs known {Median(known):F1} ms");
    }
}
