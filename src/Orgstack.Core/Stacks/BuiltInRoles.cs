namespace Orgstack.Core.Stacks;

/// <summary>
/// The roles every stack is created with. Their names are fixed (they identify the roles' rights) and they cannot be
/// changed or deleted. Rules follow Contentstack's permission-rule shape.
/// </summary>
public static class BuiltInRoles
{
    public const string Admin = "Admin";
    public const string Developer = "Developer";
    public const string ContentManager = "Content Manager";

    public static readonly IReadOnlyList<(string Name, string Description, string RulesJson)> All =
    [
        (Admin, "Admin role has full access to the stack: content, settings, users and roles.", """
        [{"module":"stack","stacks":["$all"],"acl":{"read":true,"update":true,"delete":true,"share":true,"unshare":true}},
         {"module":"role","roles":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}},
         {"module":"branch","branches":["$all"],"acl":{"read":true,"create":true,"delete":true}},
         {"module":"environment","environments":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}},
         {"module":"locale","locales":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}},
         {"module":"content_type","content_types":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true,"sub_acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}}},
         {"module":"asset","assets":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}},
         {"module":"folder","folders":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}}]
        """),
        (Developer, "Developer can manage content types, environments and locales, and all entries and assets.", """
        [{"module":"stack","stacks":["$all"],"acl":{"read":true,"update":false,"delete":false,"share":false,"unshare":false}},
         {"module":"branch","branches":["$all"],"acl":{"read":true}},
         {"module":"environment","environments":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}},
         {"module":"locale","locales":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}},
         {"module":"content_type","content_types":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true,"sub_acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}}},
         {"module":"asset","assets":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}},
         {"module":"folder","folders":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}}]
        """),
        (ContentManager, "Content Manager can create, edit and publish entries and assets, but not change content types or settings.", """
        [{"module":"stack","stacks":["$all"],"acl":{"read":true,"update":false,"delete":false,"share":false,"unshare":false}},
         {"module":"branch","branches":["main"],"acl":{"read":true}},
         {"module":"environment","environments":["$all"],"acl":{"read":true}},
         {"module":"locale","locales":["$all"],"acl":{"read":true}},
         {"module":"content_type","content_types":["$all"],"acl":{"read":true,"sub_acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}}},
         {"module":"asset","assets":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true,"publish":true}},
         {"module":"folder","folders":["$all"],"acl":{"read":true,"create":true,"update":true,"delete":true}}]
        """),
    ];

    public static bool IsAdmin(StackRole role) => role.BuiltIn && role.Name == Admin;
}
