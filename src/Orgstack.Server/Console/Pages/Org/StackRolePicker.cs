using Orgstack.Core.Members;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>
/// The stack roles chosen in a form: checkboxes named <c>Grants</c> with the value <c>{api_key}:{role uid}</c>.
/// Turned into Core's api_key → role uids map; unknown pairs are left for Core to refuse.
/// </summary>
public sealed record StackRolePicker(IReadOnlyList<StackChoice> Stacks, IReadOnlySet<string> Selected, string Legend, string Hint)
{
    public static string Value(string apiKey, string roleUid) => apiKey + ":" + roleUid;

    public bool IsChecked(StackChoice stack, RoleChoice role) => Selected.Contains(Value(stack.ApiKey, role.Uid));

    public int CheckedIn(StackChoice stack) => stack.Roles.Count(r => IsChecked(stack, r));

    /// <summary>The chosen roles per stack; with <paramref name="everyStack"/> every listed stack appears (an empty list removes its roles).</summary>
    public static Dictionary<string, IReadOnlyList<string>> ToRequest(IEnumerable<string> grants, IEnumerable<StackChoice>? everyStack = null)
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var stack in everyStack ?? []) map[stack.ApiKey] = [];
        foreach (var grant in grants)
        {
            var at = grant.IndexOf(':', StringComparison.Ordinal);
            if (at <= 0 || at == grant.Length - 1) continue;
            var apiKey = grant[..at];
            if (!map.TryGetValue(apiKey, out var roles)) map[apiKey] = roles = [];
            if (!roles.Contains(grant[(at + 1)..])) roles.Add(grant[(at + 1)..]);
        }
        return map.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }
}
