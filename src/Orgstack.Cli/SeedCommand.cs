using System.CommandLine;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Seeding;

namespace Orgstack.Cli;

/// <summary><c>orgstack seed [--members 100000]</c>: a realistic organization for demos and benchmarks, through bulk inserts.</summary>
public static class SeedCommand
{
    public static Command Build(Func<ParseResult, AsyncServiceScopeWrapper> services)
    {
        var members = new Option<int>("--members") { Description = "People in the organization, pending invitations included", DefaultValueFactory = _ => 100_000 };
        var name = new Option<string>("--name") { Description = "Organization name", DefaultValueFactory = _ => "Seeded Org" };
        var ownerEmail = new Option<string?>("--owner-email") { Description = "Owner's email (default: owner@seed-<random>.example.com)" };
        var ownerPassword = new Option<string>("--owner-password") { Description = "Owner's password (for a new Owner account)", DefaultValueFactory = _ => "Correct-Horse-Battery-9" };
        var stacks = new Option<int?>("--stacks") { Description = "Stacks (default: members / 2000, between 3 and 50)" };
        var pending = new Option<double>("--pending") { Description = "Share of pending invitations (0 to 1)", DefaultValueFactory = _ => 0.05 };
        var seed = new Option<int>("--random-seed") { Description = "Seed of the name and date generator", DefaultValueFactory = _ => 42 };
        var command = new Command("seed", "Create a realistic organization (members, invitations, stacks, stack roles) through bulk inserts.")
            { members, name, ownerEmail, ownerPassword, stacks, pending, seed };
        command.SetAction(async (parse, ct) =>
        {
            await using var scope = services(parse);
            await scope.GetRequiredService<OrgstackDbContext>().Database.MigrateAsync(ct);
            var result = await scope.GetRequiredService<SeedOrganization>().HandleAsync(new SeedOrganization.Request(parse.GetValue(members), parse.GetValue(name)!,
                parse.GetValue(ownerEmail), parse.GetValue(ownerPassword)!, parse.GetValue(stacks), parse.GetValue(pending), parse.GetValue(seed)), Actor.System("cli"), ct);
            if (!result.IsSuccess)
            {
                Console.Error.WriteLine($"error: {result.Error!.Message} ({result.Error.Code})");
                return result.Error.Kind == ErrorKind.Validation ? 2 : 1;
            }
            var s = result.Value;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Seeded {s.OrganizationName} ({s.OrganizationUid}): {s.Members:N0} members, {s.PendingInvitations:N0} pending invitations, {s.Stacks} stacks, {s.StackRoleAssignments:N0} stack roles in {s.Elapsed.TotalSeconds:F1} s."));
            Console.WriteLine($"Owner: {s.OwnerEmail} / {s.OwnerPassword}");
            return 0;
        });
        return command;
    }
}
