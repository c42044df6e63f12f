using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Orgstack.Core.Common;

namespace Orgstack.Core.Stacks;

/// <summary>Checks of what callers send for stacks and roles.</summary>
public static partial class StackInput
{
    public const int MaxRulesLength = 100_000;

    public static Error? CheckName(string? name, Error error) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200 || name.Any(char.IsControl) ? error : null;

    public static Error? CheckDescription(string? description, Error error) =>
        description is not null && (description.Length > 2000 || description.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t')) ? error : null;

    /// <summary>A locale code such as "en-us" or "zh-hant-tw"; answers the lower-case form.</summary>
    public static string? NormalizeLocale(string? locale)
    {
        if (locale is null) return null;
        var value = locale.Trim().ToLowerInvariant();
        return LocalePattern().IsMatch(value) ? value : null;
    }

    [GeneratedRegex("^[a-z]{2,3}(-[a-z0-9]{2,8}){0,3}$")]
    private static partial Regex LocalePattern();

    /// <summary>
    /// Validates permission rules (a JSON array of objects, each with a string "module", one of them a "branch" or
    /// "branch_alias" rule as Contentstack requires) and answers their compact JSON text, kept verbatim otherwise.
    /// </summary>
    public static Result<string> NormalizeRules(JsonNode? rules)
    {
        if (rules is not JsonArray array) return StackErrors.RulesInvalid("rules is not an array.");
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject rule) return StackErrors.RulesInvalid($"rule {i} is not an object.");
            if (rule["module"] is not JsonValue module || module.GetValueKind() != JsonValueKind.String
                || string.IsNullOrWhiteSpace(module.GetValue<string>()))
                return StackErrors.RulesInvalid($"rule {i} has no string \"module\".");
        }
        if (!array.Any(r => r!["module"]!.GetValue<string>() is "branch" or "branch_alias")) return StackErrors.BranchRuleRequired;
        var text = array.ToJsonString();
        if (text.Length > MaxRulesLength) return StackErrors.RulesInvalid($"the rules are longer than {MaxRulesLength} characters.");
        return text;
    }
}
