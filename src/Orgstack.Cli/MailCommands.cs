using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Common;
using Orgstack.Core.Mail;

namespace Orgstack.Cli;

/// <summary><c>orgstack mail list [--status dead]</c> and <c>orgstack mail retry &lt;id&gt;</c>: the operator's view of the outbox.</summary>
public static class MailCommands
{
    public static Command Build(Func<ParseResult, AsyncServiceScopeWrapper> services)
    {
        var mail = new Command("mail", "Inspect and retry outgoing mail (the outbox).");

        var status = new Option<string?>("--status") { Description = "pending, sent or dead (default: all)" };
        var limit = new Option<int>("--limit") { Description = "Most messages to show (newest first)", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "List outbox messages, newest first.") { status, limit };
        list.SetAction(async (parse, ct) =>
        {
            OutboxStatus? filter = null;
            if (parse.GetValue(status) is { Length: > 0 } s)
            {
                if (!Enum.TryParse<OutboxStatus>(s, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                {
                    Console.Error.WriteLine($"error: unknown status '{s}' (pending, sent or dead).");
                    return 2;
                }
                filter = parsed;
            }
            await using var scope = services(parse);
            var result = await scope.GetRequiredService<ListOutboxMessages>().HandleAsync(new ListOutboxMessages.Request(filter, parse.GetValue(limit)), Actor.System("cli"), ct);
            if (!result.IsSuccess)
            {
                Console.Error.WriteLine($"error: {result.Error!.Message}");
                return 2;
            }
            Console.WriteLine("ID\tSTATUS\tATTEMPTS\tKIND\tTO\tCREATED\tNEXT ATTEMPT\tLAST ERROR");
            foreach (var m in result.Value)
                Console.WriteLine(string.Join('\t', m.Id.ToString(CultureInfo.InvariantCulture), m.Status.ToString().ToLowerInvariant(),
                    m.Attempts.ToString(CultureInfo.InvariantCulture), m.Kind, m.ToAddress, m.CreatedAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture),
                    m.Status == OutboxStatus.Pending ? m.NextAttemptAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture) : "-",
                    OneLine(m.LastError)));
            return 0;
        });
        mail.Subcommands.Add(list);

        var id = new Argument<long>("id") { Description = "Outbox message id (from mail list)" };
        var retry = new Command("retry", "Queue a dead message again for a fresh series of attempts.") { id };
        retry.SetAction(async (parse, ct) =>
        {
            await using var scope = services(parse);
            var result = await scope.GetRequiredService<RetryOutboxMessage>().HandleAsync(parse.GetValue(id), Actor.System("cli"), ct);
            if (result.IsSuccess)
            {
                Console.WriteLine($"Message {result.Value.Id} to {result.Value.ToAddress} is queued again.");
                return 0;
            }
            Console.Error.WriteLine($"error: {result.Error!.Message} ({result.Error.Code})");
            return result.Error.Kind == ErrorKind.NotFound ? 3 : 1;
        });
        mail.Subcommands.Add(retry);
        return mail;
    }

    private static string OneLine(string? text) =>
        text is null ? "-" : new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
