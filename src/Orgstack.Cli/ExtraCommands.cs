using System.CommandLine;

namespace Orgstack.Cli;

/// <summary>Commands beyond the operator basics (seeding, benchmarks) add themselves here.</summary>
public static class ExtraCommands
{
    public static IEnumerable<Command> All(Func<ParseResult, AsyncServiceScopeWrapper> services) =>
    [
        MailCommands.Build(services),
        SeedCommand.Build(services),
    ];
}
