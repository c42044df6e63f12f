using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Security;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Accounts;

public sealed class TwoFactorApiTests : IClassFixture<SecurityAppFactory>
{
    private readonly SecurityAppFactory app;

    public TwoFactorApiTests(SecurityAppFactory app) => this.app = app;

    private async Task<(string Email, ApiClient Client, byte[] Secret, string[] Codes)> EnrolledAsync(string prefix)
    {
        var email = AccountsScenario.UniqueEmail(prefix);
        await app.CreateOrganizationAsync("Tfa Co", email);
        var client = app.Client();
        await client.LoginAsync(email, Scenario.Password);
        var (secret, codes) = await client.EnrollTotpAsync(app.Clock);
        app.Clock.Advance(TimeSpan.FromSeconds(30)); // the confirming code's step is used up
        return (email, client, secret, codes);
    }

    private string CodeNow(byte[] secret) => Totp.Code(secret, Totp.StepAt(app.Clock.GetUtcNow()));

    [Fact]
    public async Task Enroll_AnswersBase32SecretOtpauthUriAndQrPng_AndStoresTheSecretEncrypted()
    {
        var email = AccountsScenario.UniqueEmail("enroll");
        await app.CreateOrganizationAsync("Tfa Co", email);
        var client = app.Client();
        await client.LoginAsync(email, Scenario.Password);

        var tfa = (await client.PostAsync("/v3/user/two_factor/enroll", new { })).EnsureStatus(HttpStatusCode.OK).Json["two_factor"]!;

        var secret = tfa["secret"]!.GetValue<string>();
        Assert.Equal(20, Base32.Decode(secret)!.Length);
        Assert.StartsWith("otpauth://totp/Orgstack:", tfa["otpauth_uri"]!.GetValue<string>());
        Assert.Contains("secret=" + secret, tfa["otpauth_uri"]!.GetValue<string>());
        var png = Convert.FromBase64String(tfa["qr_code_png"]!.GetValue<string>()["data:image/png;base64,".Length..]);
        Assert.Equal(0x89, png[0]);
        var stored = (await app.UserAsync(email)).TotpSecret!;
        Assert.DoesNotContain(secret, stored);
        Assert.False((await app.UserAsync(email)).TotpEnabled);
    }

    [Fact]
    public async Task Confirm_WithWrongCode_IsRefused_AndTheFactorStaysOff()
    {
        var email = AccountsScenario.UniqueEmail("confirm-bad");
        await app.CreateOrganizationAsync("Tfa Co", email);
        var client = app.Client();
        await client.LoginAsync(email, Scenario.Password);
        await client.PostAsync("/v3/user/two_factor/enroll", new { });

        (await client.PostAsync("/v3/user/two_factor/confirm", new { code = "000000" })).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.False((await app.UserAsync(email)).TotpEnabled);
    }

    [Fact]
    public async Task Confirm_GivesTenRecoveryCodes_StoredOnlyAsHashes()
    {
        var (email, _, _, codes) = await EnrolledAsync("codes");
        var user = await app.UserAsync(email);
        Assert.Equal(10, codes.Distinct().Count());
        var hashes = await app.WithDbAsync(db => db.RecoveryCodes.Where(r => r.UserUid == user.Uid).Select(r => r.CodeHash).ToListAsync());
        Assert.Equal(10, hashes.Count);
        Assert.DoesNotContain(hashes, h => codes.Any(c => h.Contains(c.Replace("-", ""))));
    }

    [Fact]
    public async Task SignIn_WithoutOrWithWrongCode_Answers401With294AndTfaType()
    {
        var (email, _, _, _) = await EnrolledAsync("needs-code");
        var client = app.Client();

        var without = await client.SignInAsync(email, Scenario.Password);
        var wrong = await client.SignInAsync(email, Scenario.Password, "000000");

        foreach (var response in new[] { without, wrong })
        {
            var body = response.EnsureError(HttpStatusCode.Unauthorized);
            Assert.Equal(294, body["error_code"]!.GetValue<int>());
            Assert.Equal("Please login using the Two-Factor verification Token", body["error_message"]!.GetValue<string>());
            Assert.Equal("totp_authenticator", body["tfa_type"]!.GetValue<string>());
            Assert.Null(body["authtoken"]);
        }
        Assert.Equal(1, (await app.UserAsync(email)).FailedAttempts); // the missing code is not a failure, the wrong one is
    }

    [Fact]
    public async Task SignIn_WithCurrentCode_Succeeds_AndTheSameCodeIsRefusedAfterwards()
    {
        var (email, _, secret, _) = await EnrolledAsync("replay");
        var code = CodeNow(secret);

        var first = await app.Client().SignInAsync(email, Scenario.Password, code);
        var replay = await app.Client().SignInAsync(email, Scenario.Password, code);

        Assert.NotNull(first.EnsureStatus(HttpStatusCode.OK).Json["user"]!["authtoken"]);
        Assert.Equal(294, replay.EnsureError(HttpStatusCode.Unauthorized)["error_code"]!.GetValue<int>());
    }

    [Fact]
    public async Task ParallelSignInsWithOneCode_OnlyOneSucceeds()
    {
        var (email, _, secret, _) = await EnrolledAsync("parallel-code");
        var code = CodeNow(secret);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => app.Client().SignInAsync(email, Scenario.Password, code)));

        Assert.Single(responses, r => r.Status == HttpStatusCode.OK);
    }

    [Fact]
    public async Task WrongCodes_CountTowardLockout()
    {
        var (email, _, secret, _) = await EnrolledAsync("code-lock");
        for (var i = 0; i < 5; i++) await app.Client().SignInAsync(email, Scenario.Password, "00000" + i);

        Assert.NotNull((await app.UserAsync(email)).LockedAt);
        (await app.Client().SignInAsync(email, Scenario.Password, CodeNow(secret))).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task RecoveryCode_InTfaToken_WorksOnce()
    {
        var (email, _, _, codes) = await EnrolledAsync("recovery");

        (await app.Client().SignInAsync(email, Scenario.Password, codes[3])).EnsureStatus(HttpStatusCode.OK);
        (await app.Client().SignInAsync(email, Scenario.Password, codes[3])).EnsureError(HttpStatusCode.Unauthorized);
        (await app.Client().SignInAsync(email, Scenario.Password, codes[4].ToUpperInvariant())).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Disable_NeedsACurrentCode_ThenSignInNeedsNoCode()
    {
        var (email, client, secret, _) = await EnrolledAsync("disable");

        (await client.PostAsync("/v3/user/two_factor/disable", new { code = "123456" })).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.PostAsync("/v3/user/two_factor/disable", new { code = CodeNow(secret) })).EnsureStatus(HttpStatusCode.OK);

        await app.Client().LoginAsync(email, Scenario.Password);
        Assert.Null((await app.UserAsync(email)).TotpSecret);
    }

    [Fact]
    public async Task Enroll_WhenAlreadyOn_IsAConflict()
    {
        var (_, client, _, _) = await EnrolledAsync("twice");
        (await client.PostAsync("/v3/user/two_factor/enroll", new { })).EnsureError(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task CodeFromNeighbourStep_IsAccepted_ButTwoStepsAway_IsNot()
    {
        var (email, _, secret, _) = await EnrolledAsync("window");
        var step = Totp.StepAt(app.Clock.GetUtcNow());

        (await app.Client().SignInAsync(email, Scenario.Password, Totp.Code(secret, step + 2))).EnsureError(HttpStatusCode.Unauthorized);
        (await app.Client().SignInAsync(email, Scenario.Password, Totp.Code(secret, step + 1))).EnsureStatus(HttpStatusCode.OK);
    }
}
