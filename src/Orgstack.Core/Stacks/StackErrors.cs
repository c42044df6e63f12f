using Orgstack.Core.Common;

namespace Orgstack.Core.Stacks;

public static class StackErrors
{
    /// <summary>
    /// Unknown api_key, a stack of an organization the caller does not belong to, or a stack the caller may not even
    /// know about: all answer the same, as Contentstack does (412, error_code 109), so a stack's existence is never revealed.
    /// </summary>
    public static readonly Error InvalidApiKey = new("stack.api_key_invalid", "The stack was not found: the api_key is not valid.",
        ErrorKind.PreconditionFailed, 109, new Dictionary<string, string[]> { ["api_key"] = ["is not valid."] });

    public static readonly Error NoRoleInStack = Error.Forbidden("stack.no_role",
        "You administer this stack through your organization role, but you reach its content only as its owner or with a role in it.");

    public static readonly Error ManageRequired = Error.Forbidden("stack.manage_required",
        "Only the organization's Owner or an Admin, the stack's owner, or a user with the stack's Admin role can do this.");

    public static readonly Error DeleteRequired = Error.Forbidden("stack.delete_required",
        "Only the organization's Owner or an Admin can delete a stack.");

    public static readonly Error CreateRequired = Error.Forbidden("stack.create_required",
        "Only the organization's Owner or an Admin can create stacks.");

    public static readonly Error NameInvalid = Error.Validation("stack.name_invalid",
        "The stack needs a name (1 to 200 characters, no control characters).", "name");

    public static readonly Error DescriptionInvalid = Error.Validation("stack.description_invalid",
        "The stack's description must be at most 2000 characters, without control characters other than line breaks.", "description");

    public static readonly Error MasterLocaleInvalid = Error.Validation("stack.master_locale_invalid",
        "master_locale must be a locale code such as en-us.", "master_locale");

    public static readonly Error MasterLocaleImmutable = Error.Validation("stack.master_locale_immutable",
        "The master locale of a stack cannot be changed once it is created.", "master_locale", "cannot be changed.");

    public static readonly Error OrganizationRequired = Error.Validation("stack.organization_required",
        "Name the organization of the new stack with the organization_uid header or query parameter.", "organization_uid", "is required.");

    public static Error LimitReached(int max) => Error.Limit("stack.limit_reached",
        $"The organization has reached its plan's limit of {max} stack{(max == 1 ? "" : "s")}. Delete a stack or raise the plan's limit first.");

    public static readonly Error OwnerCannotBeUnshared = Error.Validation("stack.owner_unshare",
        "The stack's owner cannot be removed from it.", "email", "is the stack's owner.");

    public static readonly Error ConcurrentChange = Error.Conflict("stack.concurrent_change",
        "The stack was changed by another request at the same time. Please try again.");

    public static readonly Error RoleNotFound = Error.NotFound("role.not_found", "The role was not found in this stack.");

    public static readonly Error BuiltInRoleImmutable = Error.Forbidden("role.built_in",
        "Built-in roles (Admin, Developer, Content Manager) cannot be changed or deleted.");

    public static readonly Error RoleNameInvalid = Error.Validation("role.name_invalid",
        "The role needs a name (1 to 200 characters, no control characters).", "name");

    public static readonly Error RoleNameTaken = Error.Validation("role.name_taken",
        "This stack already has a role with that name.", "name", "is already taken.");

    public static readonly Error RoleDescriptionInvalid = Error.Validation("role.description_invalid",
        "The role's description must be at most 2000 characters.", "description");

    public static Error RulesInvalid(string detail) => Error.Validation("role.rules_invalid",
        "The role's rules must be an array of objects, each with a string \"module\": " + detail, "rules");

    /// <summary>Contentstack refuses a role without a branch rule, under the literal key "rules.branch".</summary>
    public static readonly Error BranchRuleRequired = Error.Validation("role.branch_rule_required",
        "A role needs a branch rule, such as {\"module\":\"branch\",\"branches\":[\"main\"],\"acl\":{\"read\":true}}.", "rules.branch", "is required.");

    public static Error RoleInUse(int holders) => Error.Conflict("role.in_use",
        $"The role is held by {holders} user{(holders == 1 ? "" : "s")} (members or pending invitations) of this stack. " +
        "Give them other roles or unshare the stack with them before deleting the role.");
}
