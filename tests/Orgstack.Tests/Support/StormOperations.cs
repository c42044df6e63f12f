using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Orgstack.Core.Audit;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Tests.Support;

/// <summary>
/// The operation mix of the reliability storms (many parallel clients on two nodes): on each turn a client, signed in
/// as an Admin, draws one of: invite 1-3 new addresses (two chances), accept a pending invitation from its latest mail,
/// change a member's role, remove a member or invitation, share the stack with a member, or the test's own sixth
/// operation. A draw whose precondition does not hold (no one to act on) does the test's fallback, if any.
/// Admins and the Owner are never targets.
/// </summary>
public sealed class StormOperations
{
    public required string OrgUid { get; init; }
    public required TestStack Stack { get; init; }
    public required IReadOnlyList<string> Admins { get; init; }

    /// <summary>The local part prefix of invited addresses.</summary>
    public required string InvitePrefix { get; init; }

    /// <summary>The first name of those who accept.</summary>
    public required string FirstName { get; init; }

    /// <summary>A removal is drawn only while more than this many members and invitations (not admins) remain.</summary>
    public required int RemoveAbove { get; init; }

    /// <summary>The organization's memberships now.</summary>
    public required Func<Task<List<Membership>>> MembersAsync { get; init; }

    /// <summary>The invitation mails to an address, oldest first, as read for a client of that node.</summary>
    public required Func<AppFactory, string, Task<List<OutboxMessage>>> InvitationMailsAsync { get; init; }

    /// <summary>Every answer, with its operation: invite, accept, role, remove, stack_share.</summary>
    public required Action<string, ApiResponse> Count { get; init; }

    /// <summary>The addresses whose invitation was accepted (200).</summary>
    public ConcurrentBag<string> Accepted { get; } = [];

    /// <summary>What a turn sees: its random source and the organization at the start of the turn.</summary>
    public sealed record Turn(Random Random, List<Membership> Members, List<Membership> Plain, List<Membership> Pending);

    /// <summary>
    /// One client's turns. <paramref name="choices"/> is 7 to include <paramref name="sixth"/> in the draw, 6 to leave it
    /// out; a draw of 6 without a sixth operation, or one whose precondition fails, does <paramref name="otherwise"/>.
    /// </summary>
    public async Task RunAsync(AppFactory node, ApiClient admin, Random random, int turns, int choices,
        Func<Turn, Task>? sixth = null, Func<Task>? otherwise = null)
    {
        for (var i = 0; i < turns; i++)
        {
            var members = await MembersAsync();
            var plain = members.Where(m => m.Status == MembershipStatus.Accepted && m.Role != OrgRole.Owner && !Admins.Contains(m.Email)).ToList();
            var pending = members.Where(m => m.Status == MembershipStatus.Pending).ToList();
            switch (random.Next(choices))
            {
                case 0 or 1:
                {
                    var emails = Enumerable.Range(0, random.Next(1, 4)).Select(_ => MembersScenario.Unique(InvitePrefix)).ToList();
                    Count("invite", await admin.PostAsync($"/v3/organizations/{OrgUid}/share",
                        new { share = new { users = emails.ToDictionary(e => e, _ => new[] { OrgRoles.UidFor(OrgUid, OrgRole.Member) }) } }));
                    break;
                }
                case 2 when pending.Count > 0:
                {
                    var target = pending[random.Next(pending.Count)];
                    var mails = await InvitationMailsAsync(node, target.Email);
                    if (mails.Count == 0) break;
                    var r = await new ApiClient(node.CreateClient()).PostAsync("/v3/organizations/invitations/accept", new
                    {
                        token = MembersScenario.TokenIn(mails[^1].TextBody),
                        user = new { first_name = FirstName, last_name = "Member", password = Scenario.Password },
                    });
                    Count("accept", r);
                    if (r.Status == HttpStatusCode.OK) Accepted.Add(target.Email);
                    break;
                }
                case 3 when plain.Count > 0:
                {
                    var target = plain[random.Next(plain.Count)];
                    var role = random.Next(2) == 0 ? OrgRole.Admin : OrgRole.Member;
                    Count("role", await admin.PutAsync($"/v3/organizations/{OrgUid}/share/{target.Uid}", new { share = new { org_roles = new[] { OrgRoles.UidFor(OrgUid, role) } } }));
                    break;
                }
                case 4 when plain.Count + pending.Count > RemoveAbove:
                {
                    var pool = plain.Concat(pending).ToList();
                    Count("remove", await admin.DeleteAsync($"/v3/organizations/{OrgUid}/share", new { emails = new[] { pool[random.Next(pool.Count)].Email } }));
                    break;
                }
                case 5 when plain.Count > 0:
                {
                    var email = plain[random.Next(plain.Count)].Email;
                    Count("stack_share", await admin.PostAsync("/v3/stacks/share",
                        new { emails = new[] { email }, roles = new Dictionary<string, string[]> { [email] = [Stack.Roles["Developer"]] } },
                        new Dictionary<string, string> { ["api_key"] = Stack.ApiKey }));
                    break;
                }
                case 6 when sixth is not null:
                    await sixth(new Turn(random, members, plain, pending));
                    break;
                default:
                    if (otherwise is not null) await otherwise();
                    break;
            }
        }
    }

    /// <summary>After the storm: exactly one Owner, no more memberships than the seat limit, no duplicate membership.</summary>
    public static void AssertOneOwnerWithinLimitNoDuplicates(List<Membership> final, int seatLimit)
    {
        Assert.Single(final, m => m.Role == OrgRole.Owner);
        Assert.True(final.Count <= seatLimit, $"{final.Count} memberships over the limit of {seatLimit}");
        Assert.Equal(final.Count, final.Select(m => m.Email).Distinct().Count());
        Assert.Equal(final.Count(m => m.UserUid != null), final.Where(m => m.UserUid != null).Select(m => m.UserUid).Distinct().Count());
    }

    /// <summary>Every accepted invitation has its member, unless a removal (audited) took it away afterwards.</summary>
    public void AssertEveryAcceptedIsMemberOrAuditedAsRemoved(List<Membership> final, List<AuditEvent> audit)
    {
        foreach (var email in Accepted)
            Assert.True(final.Any(m => m.Email == email && m.Status == MembershipStatus.Accepted) || audit.Any(e => e.EventType == "remove" && e.TargetLabel == email),
                $"{email} accepted but is neither a member nor audited as removed: " +
                string.Join(", ", audit.Where(e => e.TargetLabel == email).OrderBy(e => e.CreatedAt).Select(e => $"{e.EventType}@{e.CreatedAt:HH:mm:ss.fff} {e.MetadataJson}")));
    }

    /// <summary>
    /// Every mail delivered exactly once through the drop folder: one .eml file per Sent message (its outbox id is in
    /// the file name). Answers the number of files.
    /// </summary>
    public static int AssertOneDropFilePerSentMail(string dropDirectory, IEnumerable<long> sent)
    {
        var files = Directory.GetFiles(dropDirectory, "*.eml").Select(f => long.Parse(Regex.Match(Path.GetFileName(f), @"-(\d{10})-").Groups[1].Value)).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        Assert.Equal(sent.OrderBy(x => x), files.OrderBy(x => x));
        return files.Count;
    }
}
