using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Members;

namespace Orgstack.Core.Invitations;

/// <summary>An account made from an emailed link (invitation or ownership offer), for exactly the address the link went to.</summary>
public static class NewAccount
{
    public static Result<User> Build(Passwords passwords, string email, string? firstName, string? lastName, string? password, DateTimeOffset now)
    {
        var first = firstName?.Trim() ?? "";
        var last = lastName?.Trim() ?? "";
        if (first.Length is 0 or > 100 || last.Length > 100 || first.Any(char.IsControl) || last.Any(char.IsControl)) return MemberErrors.NameRequired;
        if (passwords.CheckPolicy(password, email) is { } policy) return policy;
        return new User
        {
            Uid = Ids.New(), Email = email, FirstName = first, LastName = last,
            PasswordHash = passwords.Hash(password!), CreatedAt = now, UpdatedAt = now,
        };
    }
}
