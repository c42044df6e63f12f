using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Accounts;

public sealed class LockoutTests : IClassFixture<SecurityAppFactory>
{
    private readonly SecurityAppFactory app;

    public LockoutTests(SecurityAppFactory app) => this.app = app;

    [Fact]
    public async Task FiveWrongPasswords_LockTheAccount_AndTheRightPasswordIsRefused()
    {
        var email = AccountsScenario.UniqueEmail("lock");
        await app.CreateOrganizationAsync("Lock Co", email);
        var client = app.Client();

        for (var i = 0; i < 5; i++)
            (await client.SignInAsync(email, "wrong password " + i)).EnsureError(HttpStatusCode.UnprocessableEntity);

        var user = await app.UserAsync(email);
        Assert.NotNull(user.LockedAt);
        Assert.Equal(5, user.FailedAttempts);
        var right = await client.SignInAsync(email, Scenario.Password);
        Assert.Equal(104, right.EnsureError(HttpStatusCode.UnprocessableEntity)["error_code"]!.GetValue<int>());
        Assert.Single(await app.AuditAsync("locked", user.Uid));
        Assert.Single(await app.MailsToAsync(email, "account_locked"));
    }

    [Fact]
    public async Task ParallelWrongAttempts_AreAllCounted_AndNoneIsEvaluatedPastTheLimit()
    {
        var email = AccountsScenario.UniqueEmail("parallel");
        await app.CreateOrganizationAsync("Parallel Co", email);

        var attempts = Enumerable.Range(0, 15).Select(i => app.Client().SignInAsync(email, "wrong password " + i));
        var responses = await Task.WhenAll(attempts);

        Assert.All(responses, r => r.EnsureError(HttpStatusCode.UnprocessableEntity));
        var user = await app.UserAsync(email);
        Assert.Equal(5, user.FailedAttempts);
        Assert.NotNull(user.LockedAt);
        (await app.Client().SignInAsync(email, Scenario.Password)).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task ManyParallelSignInsWithTheRightPassword_AllSucceed()
    {
        var email = AccountsScenario.UniqueEmail("parallel-ok");
        await app.CreateOrganizationAsync("Parallel Ok Co", email);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => app.Client().SignInAsync(email, Scenario.Password)));

        Assert.All(responses, r => r.EnsureStatus(HttpStatusCode.OK));
        var user = await app.UserAsync(email);
        Assert.Equal(0, user.FailedAttempts);
        Assert.Null(user.LockedAt);
    }

    [Fact]
    public async Task CliRetriesOfOneWrongPassword_CountOnce_ButAfterTheWindowCountAgain()
    {
        var email = AccountsScenario.UniqueEmail("cli-retry");
        await app.CreateOrganizationAsync("Cli Co", email);
        var client = app.Client();

        for (var i = 0; i < 4; i++) (await client.SignInAsync(email, "mistyped password")).EnsureError(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(1, (await app.UserAsync(email)).FailedAttempts);

        app.Clock.Advance(TimeSpan.FromSeconds(11));
        await client.SignInAsync(email, "mistyped password");
        Assert.Equal(2, (await app.UserAsync(email)).FailedAttempts);
    }

    [Fact]
    public async Task CountLeftAtTheMaximumWithoutALock_LocksAfterTheInFlightWait()
    {
        using var stuck = new SecurityAppFactory();
        stuck.Settings["Orgstack:Lockout:InFlightWaitSeconds"] = "1";
        var email = AccountsScenario.UniqueEmail("stuck");
        await stuck.CreateOrganizationAsync("Stuck Co", email);
        await stuck.WithDbAsync(db => db.Users.Where(u => u.Email == email).ExecuteUpdateAsync(u => u.SetProperty(x => x.FailedAttempts, 5)));

        (await stuck.Client().SignInAsync(email, Scenario.Password)).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.NotNull((await stuck.UserAsync(email)).LockedAt);
    }

    [Fact]
    public async Task ThreeParallelWrongAttempts_AreAllCounted()
    {
        var email = AccountsScenario.UniqueEmail("three");
        await app.CreateOrganizationAsync("Three Co", email);

        await Task.WhenAll(Enumerable.Range(0, 3).Select(i => app.Client().SignInAsync(email, "wrong password " + i)));

        var user = await app.UserAsync(email);
        Assert.Equal(3, user.FailedAttempts);
        Assert.Null(user.LockedAt);
    }

    [Fact]
    public async Task SuccessfulSignIn_StartsTheCountAgain()
    {
        var email = AccountsScenario.UniqueEmail("reset-count");
        await app.CreateOrganizationAsync("Count Co", email);
        var client = app.Client();
        for (var i = 0; i < 4; i++) await client.SignInAsync(email, "wrong password " + i);

        await client.LoginAsync(email, Scenario.Password);

        Assert.Equal(0, (await app.UserAsync(email)).FailedAttempts);
        for (var i = 0; i < 4; i++) await client.SignInAsync(email, "wrong password " + i);
        Assert.Null((await app.UserAsync(email)).LockedAt);
    }

    [Fact]
    public async Task UnknownWrongLockedAndDisabled_AnswerByteIdenticalBodies()
    {
        var locked = AccountsScenario.UniqueEmail("locked");
        var disabled = AccountsScenario.UniqueEmail("disabled");
        var wrong = AccountsScenario.UniqueEmail("wrong");
        await app.CreateOrganizationAsync("Enum Co", locked);
        await app.CreateOrganizationAsync("Enum Co", disabled);
        await app.CreateOrganizationAsync("Enum Co", wrong);
        await app.WithDbAsync(db => db.Users.Where(u => u.Email == locked).ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, DateTimeOffset.UtcNow)));
        await app.WithDbAsync(db => db.Users.Where(u => u.Email == disabled).ExecuteUpdateAsync(u => u.SetProperty(x => x.Active, false)));
        var client = app.Client();

        var bodies = new[]
        {
            await client.SignInAsync(AccountsScenario.UniqueEmail("nobody"), "some password"),
            await client.SignInAsync(wrong, "some password"),
            await client.SignInAsync(locked, Scenario.Password),
            await client.SignInAsync(disabled, Scenario.Password),
        };

        Assert.All(bodies, b => b.EnsureError(HttpStatusCode.UnprocessableEntity));
        Assert.Single(bodies.Select(b => b.Body).Distinct());
    }

    [Fact]
    public async Task LockedAccount_WithAutoUnlock_OpensAfterTheConfiguredMinutes()
    {
        using var autoApp = new SecurityAppFactory();
        autoApp.Settings["Orgstack:Lockout:AutoUnlockMinutes"] = "30";
        var email = AccountsScenario.UniqueEmail("auto");
        await autoApp.CreateOrganizationAsync("Auto Co", email);
        var client = autoApp.Client();
        for (var i = 0; i < 5; i++) await client.SignInAsync(email, "wrong password " + i);

        autoApp.Clock.Advance(TimeSpan.FromMinutes(29));
        (await client.SignInAsync(email, Scenario.Password)).EnsureError(HttpStatusCode.UnprocessableEntity);
        autoApp.Clock.Advance(TimeSpan.FromMinutes(2));
        await client.LoginAsync(email, Scenario.Password);
        Assert.Null((await autoApp.UserAsync(email)).LockedAt);
    }

    [Fact]
    public async Task LockedAccount_WithoutAutoUnlock_StaysLockedForever()
    {
        var email = AccountsScenario.UniqueEmail("forever");
        await app.CreateOrganizationAsync("Forever Co", email);
        var client = app.Client();
        for (var i = 0; i < 5; i++) await client.SignInAsync(email, "wrong password " + i);

        app.Clock.Advance(TimeSpan.FromDays(30));

        (await client.SignInAsync(email, Scenario.Password)).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task UnlockUsers_ByAdmin_UnlocksEmailsAndAuditsEachUser()
    {
        var owner = AccountsScenario.UniqueEmail("owner");
        var org = await app.CreateOrganizationAsync("Unlock Co", owner);
        var admin = AccountsScenario.UniqueEmail("admin");
        await app.Member(org.Uid, admin, OrgRole.Admin).AddAsync();
        var lockedA = await app.Member(org.Uid, AccountsScenario.UniqueEmail("la")).AddAsync();
        var lockedB = await app.Member(org.Uid, AccountsScenario.UniqueEmail("lb")).AddAsync();
        var notLocked = await app.Member(org.Uid, AccountsScenario.UniqueEmail("nl")).AddAsync();
        foreach (var u in new[] { lockedA, lockedB })
            for (var i = 0; i < 5; i++) await app.Client().SignInAsync(u.Email, "wrong password " + i);
        var client = app.Client();
        await client.LoginAsync(admin, Scenario.Password);

        var response = await client.PostAsync($"/v3/organizations/{org.Uid}/users/unlock",
            new { users = new[] { lockedA.UserUid, lockedB.Email.ToUpperInvariant(), notLocked.UserUid, "bltnosuchuser0000" } });

        var users = response.EnsureStatus(HttpStatusCode.OK).Json["users"]!.AsArray();
        Assert.Equal(["done", "done", "unchanged", "not_found"], users.Select(u => u!["status"]!.GetValue<string>()));
        await app.Client().LoginAsync(lockedA.Email, Scenario.Password);
        await app.Client().LoginAsync(lockedB.Email, Scenario.Password);
        Assert.Single(await app.MailsToAsync(lockedA.Email, "account_unlocked"));
        Assert.Single(await app.AuditAsync("unlock", lockedB.UserUid));
        Assert.Empty(await app.AuditAsync("unlock", notLocked.UserUid));
    }

    [Fact]
    public async Task UnlockUsers_ByMember_IsForbidden_AndByOutsider_IsNotFound()
    {
        var org = await app.CreateOrganizationAsync("Unlock Rights Co", AccountsScenario.UniqueEmail("owner"));
        var member = await app.Member(org.Uid, AccountsScenario.UniqueEmail("member")).AddAsync();
        var outsider = AccountsScenario.UniqueEmail("outsider");
        await app.CreateOrganizationAsync("Other Co", outsider);
        var memberClient = app.Client();
        await memberClient.LoginAsync(member.Email, Scenario.Password);
        var outsiderClient = app.Client();
        await outsiderClient.LoginAsync(outsider, Scenario.Password);

        (await memberClient.PostAsync($"/v3/organizations/{org.Uid}/users/unlock", new { users = new[] { member.UserUid } })).EnsureError(HttpStatusCode.Forbidden);
        (await outsiderClient.PostAsync($"/v3/organizations/{org.Uid}/users/unlock", new { users = new[] { member.UserUid } })).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UnlockUsers_WithMoreThanTenOrNoUsers_IsAClearError()
    {
        var owner = AccountsScenario.UniqueEmail("owner");
        var org = await app.CreateOrganizationAsync("Bulk Co", owner);
        var client = app.Client();
        await client.LoginAsync(owner, Scenario.Password);

        var tooMany = await client.PostAsync($"/v3/organizations/{org.Uid}/users/unlock",
            new { users = Enumerable.Range(0, 11).Select(i => $"u{i}@example.test").ToArray() });
        var none = await client.PostAsync($"/v3/organizations/{org.Uid}/users/unlock", new { users = Array.Empty<string>() });

        Assert.Contains("At most 10", tooMany.EnsureError(HttpStatusCode.UnprocessableEntity)["error_message"]!.GetValue<string>());
        none.EnsureError(HttpStatusCode.UnprocessableEntity);
    }
}
