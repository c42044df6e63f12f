using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;
using Orgstack.Core.Sso;

namespace Orgstack.Cli;

/// <summary>The operator CLI: the same Core use cases as the API, run against the configured database.</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // SQLite's process-wide settings, before any command opens a connection (as the server's host does).
        Orgstack.Core.Data.SqliteThreading.Configure();
        return Build().Parse(args).InvokeAsync();
    }

    private static readonly Option<string?> DataDirectory = new("--data-dir") { Description = "Data directory (default: Orgstack__DataDirectory or ./data)", Recursive = true };
    private static readonly Option<string?> Provider = new("--provider") { Description = "sqlite or postgres (default: Orgstack__Database__Provider)", Recursive = true };
    private static readonly Option<string?> ConnectionString = new("--connection-string") { Description = "Database connection string (default: Orgstack__Database__ConnectionString)", Recursive = true };

    public static RootCommand Build()
    {
        var root = new RootCommand("orgstack: operator commands for an Orgstack server's database");
        root.Options.Add(DataDirectory);
        root.Options.Add(Provider);
        root.Options.Add(ConnectionString);

        var migrate = new Command("migrate", "Apply database migrations.");
        migrate.SetAction(async (parse, ct) =>
        {
            await using var scope = Services(parse);
            var db = scope.GetRequiredService<OrgstackDbContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateAsync(ct);
            Console.WriteLine(pending.Count == 0 ? "Database is up to date." : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}");
            return 0;
        });
        root.Subcommands.Add(migrate);

        var name = new Option<string>("--name") { Description = "Organization name", Required = true };
        var ownerEmail = new Option<string>("--owner-email") { Description = "Owner's email (an existing account, or a new one)", Required = true };
        var ownerPassword = new Option<string?>("--owner-password") { Description = "Password for a new Owner account (or ORGSTACK_OWNER_PASSWORD)" };
        var createOrg = new Command("create-org", "Create an organization with its Owner.") { name, ownerEmail, ownerPassword };
        createOrg.SetAction(async (parse, ct) =>
        {
            await using var scope = Services(parse);
            await Migrate(scope, ct);
            var result = await scope.GetRequiredService<CreateOrganization>().HandleAsync(
                new CreateOrganization.Request(parse.GetValue(name)!, parse.GetValue(ownerEmail)!,
                    parse.GetValue(ownerPassword) ?? Environment.GetEnvironmentVariable("ORGSTACK_OWNER_PASSWORD")), Actor.System("cli"), ct);
            return Report(result, o => $"Created organization {o.Name} ({o.Uid}).");
        });
        root.Subcommands.Add(createOrg);

        var orgUid = new Option<string>("--org") { Description = "Organization uid", Required = true };
        var newName = new Option<string>("--name") { Description = "New name", Required = true };
        var renameOrg = new Command("rename-org", "Rename an organization (operators only; the admin API and console cannot).") { orgUid, newName };
        renameOrg.SetAction(async (parse, ct) =>
        {
            await using var scope = Services(parse);
            var result = await scope.GetRequiredService<RenameOrganization>().HandleAsync(parse.GetValue(orgUid)!, parse.GetValue(newName)!, Actor.System("cli"), ct);
            return Report(result, o => $"Renamed organization {o.Uid} to {o.Name}.");
        });
        root.Subcommands.Add(renameOrg);

        var strictOnly = new Option<bool>("--strict-only") { Description = "Only turn strict mode off: SSO stays on, the Owner (and members allowed access without SSO) may use a password again" };
        var ssoOff = new Command("sso-off", "Break-glass for an identity provider outage: turn an organization's single sign-on off (audited).") { orgUid, strictOnly };
        ssoOff.SetAction(async (parse, ct) =>
        {
            await using var scope = Services(parse);
            var result = await scope.GetRequiredService<OperatorRelaxSso>().HandleAsync(parse.GetValue(orgUid)!, parse.GetValue(strictOnly), Actor.System("cli"), ct);
            return Report(result, o => (o.Changed ? "" : "Nothing to change: ") +
                $"single sign-on of {o.OrganizationUid} is {(o.Enabled ? "on" : "off")}, strict mode {(o.Strict ? "on" : "off")}.");
        });
        root.Subcommands.Add(ssoOff);

        var planId = new Option<string?>("--plan-id") { Description = "Plan identifier" };
        var planName = new Option<string?>("--plan-name") { Description = "Plan display name" };
        var maxUsers = new Option<int?>("--max-users") { Description = "Most members plus pending invitations" };
        var maxStacks = new Option<int?>("--max-stacks") { Description = "Most stacks" };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Plan expiry (ISO 8601)" };
        var noExpiry = new Option<bool>("--no-expiry") { Description = "Remove the plan's expiry" };
        var setPlan = new Command("set-plan", "Set an organization's plan and limits.") { orgUid, planId, planName, maxUsers, maxStacks, expires, noExpiry };
        setPlan.SetAction(async (parse, ct) =>
        {
            await using var scope = Services(parse);
            var result = await scope.GetRequiredService<SetPlan>().HandleAsync(new SetPlan.Request(parse.GetValue(orgUid)!, parse.GetValue(planId),
                parse.GetValue(planName), parse.GetValue(maxUsers), parse.GetValue(maxStacks), parse.GetValue(expires)?.ToUniversalTime(), parse.GetValue(noExpiry)),
                Actor.System("cli"), ct);
            return Report(result, o => $"Plan of {o.Name}: {o.PlanName} ({o.PlanId}), {o.MaxUsers} users, {o.MaxStacks} stacks, expires {o.PlanExpiresAt?.ToString("u") ?? "never"}.");
        });
        root.Subcommands.Add(setPlan);

        var schemaProvider = new Option<string>("--for") { Description = "sqlite or postgres", DefaultValueFactory = _ => "sqlite" };
        var schema = new Command("schema-script", "Print the model's CREATE script for a provider (used to write migrations).") { schemaProvider };
        schema.Hidden = true;
        schema.SetAction(parse =>
        {
            var options = new OrgstackOptions();
            options.Database.Provider = parse.GetValue(schemaProvider)!;
            options.Database.ConnectionString = Database.IsPostgres(options) ? "Host=unused" : "Data Source=:memory:";
            var builder = new DbContextOptionsBuilder<OrgstackDbContext>();
            Database.Configure(builder, options);
            using var db = new OrgstackDbContext(builder.Options);
            Console.Write(db.Database.GenerateCreateScript());
            return 0;
        });
        root.Subcommands.Add(schema);

        foreach (var command in ExtraCommands.All(Services)) root.Subcommands.Add(command);
        return root;
    }

    private static async Task Migrate(AsyncServiceScopeWrapper scope, CancellationToken ct) =>
        await scope.GetRequiredService<OrgstackDbContext>().Database.MigrateAsync(ct);

    private static int Report<T>(Result<T> result, Func<T, string> success)
    {
        if (result.IsSuccess)
        {
            Console.WriteLine(success(result.Value));
            return 0;
        }
        Console.Error.WriteLine($"error: {result.Error!.Message} ({result.Error.Code})");
        return result.Error.Kind switch { ErrorKind.NotFound => 3, ErrorKind.Validation => 2, _ => 1 };
    }

    public static OrgstackOptions Options(ParseResult parse)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = configuration.GetSection(OrgstackOptions.Section).Get<OrgstackOptions>() ?? new OrgstackOptions();
        if (parse.GetValue(DataDirectory) is { } dir) options.DataDirectory = dir;
        if (parse.GetValue(Provider) is { } provider) options.Database.Provider = provider;
        if (parse.GetValue(ConnectionString) is { } cs) options.Database.ConnectionString = cs;
        return options;
    }

    public static AsyncServiceScopeWrapper Services(ParseResult parse)
    {
        var options = Options(parse);
        var services = new ServiceCollection();
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddDbContext<OrgstackDbContext>(o => Database.Configure(o, options));
        Orgstack.Core.CoreServices.Add(services);
        var provider = services.BuildServiceProvider();
        return new AsyncServiceScopeWrapper(provider);
    }
}

/// <summary>A service provider and its scope, disposed together.</summary>
public sealed class AsyncServiceScopeWrapper(ServiceProvider provider) : IAsyncDisposable
{
    private readonly AsyncServiceScope scope = provider.CreateAsyncScope();

    public T GetRequiredService<T>() where T : notnull => scope.ServiceProvider.GetRequiredService<T>();

    public IServiceProvider Services => scope.ServiceProvider;

    public async ValueTask DisposeAsync()
    {
        await scope.DisposeAsync();
        await provider.DisposeAsync();
    }
}
