using System.Text.Json.Nodes;
using Orgstack.Core.Accounts;
using Orgstack.Core.Stacks;

namespace Orgstack.Server.Api;

/// <summary>Stacks, stack users and stack roles in Contentstack's wire shapes.</summary>
public static class StackWire
{
    public static Dictionary<string, object?> Stack(Stack stack, IReadOnlyList<string> userUids) => new()
    {
        ["uid"] = stack.Uid,
        ["name"] = stack.Name,
        ["description"] = stack.Description,
        ["org_uid"] = stack.OrganizationUid,
        ["api_key"] = stack.ApiKey,
        ["master_locale"] = stack.MasterLocale,
        ["is_asset_download_public"] = true,
        ["owner_uid"] = stack.OwnerUserUid,
        ["user_uids"] = userUids,
        ["created_at"] = Wire.Time(stack.CreatedAt),
        ["updated_at"] = Wire.Time(stack.UpdatedAt),
        ["SYS_ACL"] = new Dictionary<string, object?>(),
        ["settings"] = new Dictionary<string, object?>(),
    };

    public static Dictionary<string, object?> OrganizationStack(OrganizationStackView view) => new()
    {
        ["uid"] = view.Stack.Uid,
        ["name"] = view.Stack.Name,
        ["description"] = view.Stack.Description,
        ["api_key"] = view.Stack.ApiKey,
        ["org_uid"] = view.Stack.OrganizationUid,
        ["master_locale"] = view.Stack.MasterLocale,
        ["owner_uid"] = view.Stack.OwnerUserUid,
        ["owner"] = new Dictionary<string, object?>
        {
            ["email"] = view.Owner?.Email,
            ["first_name"] = view.Owner?.FirstName,
            ["last_name"] = view.Owner?.LastName,
        },
        ["users"] = new Dictionary<string, object?> { ["count"] = view.UserCount },
        ["created_at"] = Wire.Time(view.Stack.CreatedAt),
        ["updated_at"] = Wire.Time(view.Stack.UpdatedAt),
    };

    /// <summary>A stack user, as both <c>stack.collaborators</c> and <c>GET /stacks/users</c> show it.</summary>
    public static Dictionary<string, object?> StackUser(StackUserView view) => new()
    {
        ["uid"] = view.User.Uid,
        ["email"] = view.User.Email,
        ["username"] = view.User.Email,
        ["first_name"] = view.User.FirstName,
        ["last_name"] = view.User.LastName,
        ["active"] = view.User.Active,
        ["is_owner"] = view.IsStackOwner,
        ["org_uid"] = view.Membership.OrganizationUid,
        ["roles"] = view.Roles.Select(r => new Dictionary<string, object?> { ["uid"] = r.Uid, ["name"] = r.Name }).ToList(),
        ["created_at"] = Wire.Time(view.User.CreatedAt),
        ["updated_at"] = Wire.Time(view.User.UpdatedAt),
    };

    public static Dictionary<string, object?> Role(StackRoleView view, bool includeRules)
    {
        var (role, stack) = (view.Role, view.Stack);
        var body = new Dictionary<string, object?>
        {
            ["uid"] = role.Uid,
            ["name"] = role.Name,
            ["description"] = role.Description,
            ["system"] = role.BuiltIn,
            ["org_uid"] = stack.OrganizationUid,
            ["api_key"] = stack.ApiKey,
            ["created_by"] = role.CreatedByUserUid,
            ["updated_by"] = role.UpdatedByUserUid,
            ["created_at"] = Wire.Time(role.CreatedAt),
            ["updated_at"] = Wire.Time(role.UpdatedAt),
            ["roles"] = Array.Empty<string>(),
            ["users"] = view.UserUids,
            ["owner"] = view.StackOwner?.Email,
            ["stack"] = new Dictionary<string, object?>
            {
                ["uid"] = stack.Uid,
                ["name"] = stack.Name,
                ["api_key"] = stack.ApiKey,
                ["org_uid"] = stack.OrganizationUid,
                ["master_locale"] = stack.MasterLocale,
                ["owner_uid"] = stack.OwnerUserUid,
            },
            ["SYS_ACL"] = new Dictionary<string, object?>(),
        };
        if (includeRules) body["rules"] = JsonNode.Parse(role.RulesJson);
        return body;
    }
}

/// <summary>Reading loosely typed JSON bodies: SDKs echo whole objects back, so unknown fields are ignored, known ones type-checked.</summary>
internal static class BodyFields
{
    /// <summary>A string field: absent or null gives null; any other type is a 422 naming the field.</summary>
    public static bool TryString(JsonObject? obj, string name, out string? value, out IResult? error, string? path = null)
    {
        value = null;
        error = null;
        if (obj is null || !obj.TryGetPropertyValue(name, out var node) || node is null) return true;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) { value = s; return true; }
        error = ApiResults.Invalid(path ?? name, $"{path ?? name} must be a string.");
        return false;
    }

    /// <summary>An array of strings (absent gives an empty list).</summary>
    public static bool TryStrings(JsonNode? node, string path, out List<string> values, out IResult? error)
    {
        values = [];
        error = null;
        if (node is null) return true;
        if (node is not JsonArray array) { error = ApiResults.Invalid(path, $"{path} must be an array of strings."); return false; }
        foreach (var item in array)
        {
            if (item is JsonValue v && v.TryGetValue<string>(out var s)) values.Add(s);
            else { error = ApiResults.Invalid(path, $"{path} must be an array of strings."); return false; }
        }
        return true;
    }

    /// <summary>An object whose values are arrays of strings, such as <c>{"a@b.c":["role"]}</c>.</summary>
    public static bool TryStringLists(JsonNode? node, string path, out Dictionary<string, IReadOnlyList<string>> values, out IResult? error)
    {
        values = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        error = null;
        if (node is null) return true;
        if (node is not JsonObject obj) { error = ApiResults.Invalid(path, $"{path} must be an object of arrays of strings."); return false; }
        foreach (var (key, value) in obj)
        {
            if (!TryStrings(value ?? new JsonArray(), path, out var list, out error)) return false;
            values[key] = list;
        }
        return true;
    }

    /// <summary>The wrapped object of a body such as <c>{"stack":{…}}</c>; a 422 when missing or not an object.</summary>
    public static JsonObject? Wrapped(JsonObject? body, string name, out IResult? error)
    {
        error = null;
        if (body?[name] is JsonObject inner) return inner;
        error = ApiResults.Invalid(name, $"The body must hold a \"{name}\" object.");
        return null;
    }
}
