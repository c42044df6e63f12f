using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Tests.Support;

/// <summary>
/// Rows for the export, logs and plan tests, written straight to the database (the invitation and stack use cases are
/// built elsewhere; these tests need only their data).
/// </summary>
public static class OpsScenario
{
    public static async Task<(string StackUid, string RoleUid)> AddStackAsync(this AppFactory app, string organizationUid, string name, string ownerUserUid, string roleName = "Developer")
    {
        await using var scope = app.Scope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var now = DateTimeOffset.UtcNow;
        var stack = new Stack { Uid = Ids.New(), ApiKey = Ids.New(), OrganizationUid = organizationUid, Name = name, OwnerUserUid = ownerUserUid, CreatedAt = now, UpdatedAt = now };
        var role = new StackRole { Uid = Ids.New(), StackUid = stack.Uid, Name = roleName, BuiltIn = true, CreatedAt = now, UpdatedAt = now };
        db.Stacks.Add(stack);
        db.StackRoles.Add(role);
        await db.SaveChangesAsync();
        return (stack.Uid, role.Uid);
    }

    public static async Task<string> AddStackRoleAsync(this AppFactory app, string stackUid, string name)
    {
        await using var scope = app.Scope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var now = DateTimeOffset.UtcNow;
        var role = new StackRole { Uid = Ids.New(), StackUid = stackUid, Name = name, CreatedAt = now, UpdatedAt = now };
        db.StackRoles.Add(role);
        await db.SaveChangesAsync();
        return role.Uid;
    }

    public static async Task AssignStackRoleAsync(this AppFactory app, string stackUid, string membershipUid, string roleUid)
    {
        await using var scope = app.Scope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        db.StackRoleAssignments.Add(new StackRoleAssignment { StackUid = stackUid, MembershipUid = membershipUid, RoleUid = roleUid, CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
    }

    /// <summary>The Owner's user uid of an organization.</summary>
    public static Task<string> OwnerUidAsync(this AppFactory app, string organizationUid) =>
        app.WithDbAsync(db => Task.FromResult(db.Memberships.Where(m => m.OrganizationUid == organizationUid && m.Role == OrgRole.Owner).Select(m => m.UserUid!).First()));
}

/// <summary>An RFC 4180 reader for tests: quoted fields, doubled quotes, CR/LF inside quotes, CRLF between records.</summary>
public static class CsvReader
{
    public static List<List<string>> Parse(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        var i = 0;
        var quoted = false;
        var fieldStarted = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                    quoted = false;
                    i++;
                    if (i < text.Length && text[i] is not (',' or '\r' or '\n')) throw new FormatException($"Text after a closing quote at {i}.");
                    continue;
                }
                field.Append(c);
                i++;
                continue;
            }
            switch (c)
            {
                case '"' when !fieldStarted:
                    quoted = true;
                    fieldStarted = true;
                    i++;
                    break;
                case '"':
                    throw new FormatException($"Quote inside an unquoted field at {i}.");
                case ',':
                    record.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    i++;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    record.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    records.Add(record);
                    record = [];
                    i += 2;
                    break;
                case '\r' or '\n':
                    throw new FormatException($"Bare line break outside quotes at {i}.");
                default:
                    field.Append(c);
                    fieldStarted = true;
                    i++;
                    break;
            }
        }
        if (quoted) throw new FormatException("Unterminated quoted field.");
        if (fieldStarted || record.Count > 0)
        {
            record.Add(field.ToString());
            records.Add(record);
        }
        return records;
    }
}
