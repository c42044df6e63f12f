using System.Net;
using System.Text.RegularExpressions;
using Orgstack.Core.Organizations;
using Orgstack.Core.Security;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Reliability;

/// <summary>
/// security-tests.md §0: with every log turned up to Trace and captured (messages, structured properties, scopes,
/// exceptions), the representative flows — sign-in (right and wrong password), MFA enrolment and sign-in with a code and
/// a recovery code, invitation describe and accept, forgot/reset password, change password, ownership transfer — leave
/// no password, session token, emailed token, TOTP secret or recovery code in any log line.
/// </summary>
public sealed class LogSecrecyTests(LogCaptureAppFactory app, ITestOutputHelper output) : IClassFixture<LogCaptureAppFactory>
{
    private static string CodeNow(byte[] secret) => Totp.Code(secret, Totp.StepAt(DateTimeOffset.UtcNow));

    [Fact]
    public async Task RepresentativeFlows_AtTraceLevel_LeaveNoSecretInAnyLogLine()
    {
        var secrets = new Dictionary<string, string>();
        void Secret(string what, string? value)
        {
            Assert.False(string.IsNullOrEmpty(value), what + " is empty");
            secrets[what] = value!;
        }

        // Owner: sign-in, a wrong password, MFA enrolment, sign-in with a code and with a recovery code.
        var ownerEmail = MembersScenario.Unique("log-owner");
        var org = await app.CreateOrganizationAsync("Logged Co", ownerEmail);
        Secret("owner password", Scenario.Password);
        var owner = app.Client();
        await owner.LoginAsync(ownerEmail, Scenario.Password);
        Secret("owner authtoken", owner.AuthToken);
        const string wrong = "Wrong-Passphrase-7e1f0c";
        Secret("wrong password", wrong);
        (await app.Client().SignInAsync(ownerEmail, wrong)).EnsureError(HttpStatusCode.UnprocessableEntity);

        var enrolled = (await owner.PostAsync("/v3/user/two_factor/enroll", new { })).EnsureStatus(HttpStatusCode.OK).Json["two_factor"]!;
        var base32 = enrolled["secret"]!.GetValue<string>();
        Secret("TOTP secret", base32);
        var secret = Base32.Decode(base32)!;
        var confirm = await owner.PostAsync("/v3/user/two_factor/confirm", new { code = CodeNow(secret) });
        if (confirm.Status != HttpStatusCode.OK) confirm = await owner.PostAsync("/v3/user/two_factor/confirm", new { code = CodeNow(secret) });
        var recovery = confirm.EnsureStatus(HttpStatusCode.OK).Json["recovery_codes"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        for (var i = 0; i < recovery.Count; i++) Secret($"recovery code {i}", recovery[i]);
        (await app.Client().SignInAsync(ownerEmail, Scenario.Password)).EnsureError((HttpStatusCode)401);
        // The confirming code's step is used up; the next step's code is within the accepted window.
        var withCode = (await app.Client().SignInAsync(ownerEmail, Scenario.Password, Totp.Code(secret, Totp.StepAt(DateTimeOffset.UtcNow) + 1))).EnsureStatus(HttpStatusCode.OK);
        Secret("authtoken after TOTP", withCode.Json["user"]!["authtoken"]!.GetValue<string>());
        var withRecovery = await app.Client().SignInAsync(ownerEmail, Scenario.Password, recovery[0]);
        if (withRecovery.Status == HttpStatusCode.OK) Secret("authtoken after recovery code", withRecovery.Json["user"]!["authtoken"]!.GetValue<string>());

        // Invitation: describe (token in the path) and accept (token in the body) with a new password.
        var inviteeEmail = MembersScenario.Unique("log-invitee");
        (await owner.PostAsync($"/v3/organizations/{org.Uid}/share",
            new { share = new { users = new Dictionary<string, string[]> { [inviteeEmail] = [OrgRoles.UidFor(org.Uid, OrgRole.Member)] } } })).EnsureStatus(HttpStatusCode.OK);
        var invitation = await app.LatestTokenAsync(inviteeEmail, "invitation");
        Secret("invitation token", invitation);
        (await app.Client().GetAsync($"/v3/organizations/invitations/{invitation}")).EnsureStatus(HttpStatusCode.OK);
        const string inviteePassword = "Invitee-Passphrase-51c2aa";
        Secret("invitee password", inviteePassword);
        (await app.Client().PostAsync("/v3/organizations/invitations/accept",
            new { token = invitation, user = new { first_name = "Log", last_name = "Invitee", password = inviteePassword } })).EnsureStatus(HttpStatusCode.OK);

        // Forgot and reset password; then change it while signed in.
        (await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email = inviteeEmail } })).EnsureStatus(HttpStatusCode.OK);
        var reset = await app.LatestTokenAsync(inviteeEmail, "password_reset");
        Secret("password reset token", reset);
        const string resetPassword = "Reset-Passphrase-9a07de";
        Secret("reset password", resetPassword);
        (await app.Client().PostAsync("/v3/user/reset_password",
            new { user = new { reset_password_token = reset, password = resetPassword, password_confirmation = resetPassword } })).EnsureStatus(HttpStatusCode.OK);
        var invitee = app.Client();
        await invitee.LoginAsync(inviteeEmail, resetPassword);
        Secret("invitee authtoken", invitee.AuthToken);
        const string changedPassword = "Changed-Passphrase-3b88f1";
        Secret("changed password", changedPassword);
        (await invitee.PostAsync("/v3/user/change_password",
            new { user = new { current_password = resetPassword, password = changedPassword, password_confirmation = changedPassword } })).EnsureStatus(HttpStatusCode.OK);
        invitee = app.Client();
        await invitee.LoginAsync(inviteeEmail, changedPassword);
        Secret("invitee authtoken after change", invitee.AuthToken);

        // Ownership transfer to the invitee, accepted with the emailed token.
        (await owner.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = inviteeEmail })).EnsureStatus(HttpStatusCode.OK);
        var transfer = await app.LatestTokenAsync(inviteeEmail, "ownership_transfer");
        Secret("ownership transfer token", transfer);
        (await invitee.PostAsync("/v3/organizations/ownership/accept", new { token = transfer })).EnsureStatus(HttpStatusCode.OK);

        // Let mail delivery log its rounds too.
        await TestWait.UntilAsync(async () => await app.DbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AllAsync(
            db.OutboxMessages, m => m.Status != Orgstack.Core.Mail.OutboxStatus.Pending)));

        var lines = app.Logs.Lines.ToList();
        var leaks = new List<string>();
        foreach (var (what, value) in secrets)
            foreach (var line in lines.Where(l => l.Contains(value, StringComparison.Ordinal)))
                leaks.Add($"{what} in: {(line.Length > 300 ? line[..300] : line)}");
        // URL-encoded forms of the tokens too (a path or query logged as sent).
        foreach (var (what, value) in secrets.Where(s => Uri.EscapeDataString(s.Value) != s.Value))
            foreach (var line in lines.Where(l => l.Contains(Uri.EscapeDataString(value), StringComparison.Ordinal)))
                leaks.Add($"{what} (URL-encoded) in: {(line.Length > 300 ? line[..300] : line)}");

        output.WriteLine($"{lines.Count} log records captured at Trace; {secrets.Count} secrets looked for; {leaks.Count} leaks.");
        Assert.True(lines.Count > 100, $"only {lines.Count} log records: is logging at Trace?");
        Assert.Contains(lines, l => l.Contains("Microsoft.EntityFrameworkCore.Database.Command", StringComparison.Ordinal));
        ReliabilityReport.Count("log records searched for secrets (Trace level)", lines.Count, $"{secrets.Count} secrets, {leaks.Count} found");
        Assert.True(leaks.Count == 0, string.Join("\n", leaks.Distinct().Take(40)));
        Assert.Matches(new Regex("^[A-Z2-7]+=*$"), base32);
    }
}
