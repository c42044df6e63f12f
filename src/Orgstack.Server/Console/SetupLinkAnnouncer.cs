using Orgstack.Core.Accounts;
using Orgstack.Core.Common;

namespace Orgstack.Server.Console;

/// <summary>
/// At start-up, while nobody has an account yet, prints a one-time link to the first-run setup page. It runs as a
/// hosted service, after every module's start-up work (the bootstrap settings may already have created the Owner).
/// </summary>
public sealed class SetupLinkAnnouncer(IServiceScopeFactory scopes, OrgstackOptions options, ILogger<SetupLinkAnnouncer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var issued = await scope.ServiceProvider.GetRequiredService<IssueSetupToken>().HandleAsync(cancellationToken);
        if (issued is { IsSuccess: true, Value: { } token })
            logger.LogWarning("Orgstack has no users yet. Open this one-time link within {Hours} hours to create the first Owner and organization: {SetupLink}",
                (int)IssueSetupToken.Lifetime.TotalHours, SetupLink(options, token));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static string SetupLink(OrgstackOptions options, string token) =>
        $"{options.PublicBaseUrl.TrimEnd('/')}/setup?token={Uri.EscapeDataString(token)}";
}
