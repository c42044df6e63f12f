using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Accounts;

public sealed class PasswordHashingTests
{
    [Fact]
    public void ProductionDefault_IsAtLeast220000Iterations_AndItsHashVerifies()
    {
        var options = new OrgstackOptions();
        Assert.True(options.Passwords.Iterations >= 220_000);
        using var passwords = new Passwords(options);

        var hash = passwords.Hash("a production passphrase");

        Assert.Equal(PasswordVerificationResult.Success, passwords.Verify(hash, "a production passphrase"));
        Assert.Equal(PasswordVerificationResult.Failed, passwords.Verify(hash, "another passphrase"));
        // Identity v3 format: the iteration count is stored big-endian at offset 5.
        var bytes = Convert.FromBase64String(hash);
        Assert.Equal(options.Passwords.Iterations, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(5)));
    }

    [Fact]
    public async Task WeakerHash_IsUpgradedOnTheNextSuccessfulSignIn()
    {
        using var app = new SecurityAppFactory();
        app.Settings["Orgstack:Passwords:Iterations"] = "2000";
        var email = AccountsScenario.UniqueEmail("upgrade");
        await app.CreateOrganizationAsync("Upgrade Co", email);
        using var weak = new Passwords(new OrgstackOptions { Passwords = { Iterations = 1000 } });
        var weakHash = weak.Hash(Scenario.Password);
        await app.WithDbAsync(db => db.Users.Where(u => u.Email == email).ExecuteUpdateAsync(u => u.SetProperty(x => x.PasswordHash, weakHash)));

        await app.Client().LoginAsync(email, Scenario.Password);

        var stored = (await app.UserAsync(email)).PasswordHash!;
        Assert.NotEqual(weakHash, stored);
        Assert.Equal(2000, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(Convert.FromBase64String(stored).AsSpan(5)));
        await app.Client().LoginAsync(email, Scenario.Password);
    }

    [Fact]
    public async Task WhileSignInIsSaturated_OtherEndpointsStillAnswer()
    {
        using var app = new SecurityAppFactory();
        app.Settings["Orgstack:Passwords:Iterations"] = "300000";
        app.Settings["Orgstack:Passwords:MaxConcurrentHashes"] = "1";
        var email = AccountsScenario.UniqueEmail("flood");
        await app.CreateOrganizationAsync("Flood Co", email);
        var reader = app.Client();
        await reader.LoginAsync(email, Scenario.Password);
        var passwords = app.Services.GetRequiredService<Passwords>();

        var flood = Enumerable.Range(0, 8).Select(i => app.Client().SignInAsync(AccountsScenario.UniqueEmail("flood" + i), "some password")).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (passwords.Waiting < 3 && DateTime.UtcNow < deadline) await Task.Delay(5);
        Assert.True(passwords.Waiting >= 3, "the flood did not queue");

        var read = await reader.GetAsync("/v3/user");

        read.EnsureStatus(HttpStatusCode.OK);
        Assert.True(passwords.Waiting > 0 || flood.Any(t => !t.IsCompleted), "the read should finish while sign-ins are still queued");
        await Task.WhenAll(flood);
    }

    [Fact]
    public async Task BoundedHashing_NeverRunsMoreThanTheLimitAtOnce()
    {
        using var passwords = new Passwords(new OrgstackOptions { Passwords = { Iterations = 1000, MaxConcurrentHashes = 2 } });
        var running = 0;
        var peak = 0;

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => passwords.BoundedAsync(() =>
        {
            var now = Interlocked.Increment(ref running);
            int seen;
            while ((seen = Volatile.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen) { }
            Thread.Sleep(10);
            Interlocked.Decrement(ref running);
            return 0;
        }, CancellationToken.None))));

        Assert.Equal(2, peak);
    }
}
