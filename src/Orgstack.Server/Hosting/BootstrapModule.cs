using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Hosting;

/// <summary>
/// First run: with ORGSTACK_BOOTSTRAP_EMAIL, _PASSWORD and _ORG set and no user in the database, creates that Owner and
/// organization (idempotent: a database with users is left alone).
/// </summary>
public sealed class BootstrapModule : IServerModule
{
    public async Task OnStartedAsync(WebApplication app, IServiceProvider services)
    {
        var db = services.GetRequiredService<OrgstackDbContext>();
        if (await db.Users.AnyAsync()) return;
        if (!db.Database.IsNpgsql())
        {
            await BootstrapAsync(app, services);
            return;
        }
        // Several nodes starting together on one PostgreSQL database: one at a time checks and creates (a session
        // advisory lock on the connection the use case then uses), so the first Owner and organization exist once.
        await db.Database.OpenConnectionAsync();
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock(7341020001)");
            try
            {
                if (!await db.Users.AnyAsync()) await BootstrapAsync(app, services);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock(7341020001)");
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task BootstrapAsync(WebApplication app, IServiceProvider services)
    {
        var config = app.Configuration;
        var email = config["ORGSTACK_BOOTSTRAP_EMAIL"];
        var password = config["ORGSTACK_BOOTSTRAP_PASSWORD"];
        var organization = config["ORGSTACK_BOOTSTRAP_ORG"];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(password) || string.IsNullOrWhiteSpace(organization)) return;

        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Orgstack.Bootstrap");
        var result = await services.GetRequiredService<CreateOrganization>().HandleAsync(
            new CreateOrganization.Request(organization, email, password), Actor.System("bootstrap"), CancellationToken.None);
        if (result.IsSuccess) logger.LogInformation("Bootstrap: created organization {Organization} ({Uid}) with Owner {Email}.", result.Value.Name, result.Value.Uid, Emails.Normalize(email));
        else logger.LogError("Bootstrap failed: {Message}", result.Error!.Message);
    }
}
