namespace Orgstack.Core.Common;

public enum ErrorKind
{
    Validation,
    NotFound,
    Forbidden,
    Unauthorized,
    Conflict,
    LimitExceeded,
    RateLimited,
    TwoFactorRequired,
    /// <summary>A missing or unusable stack api_key: Contentstack answers 412 (error_code 109).</summary>
    PreconditionFailed,
}

/// <summary>
/// A user's mistake, with a stable code. <see cref="Number"/> is the Contentstack-style numeric
/// <c>error_code</c>; <see cref="Fields"/> becomes the <c>errors</c> object of the wire body.
/// </summary>
public sealed record Error(string Code, string Message, ErrorKind Kind, int Number, IReadOnlyDictionary<string, string[]>? Fields = null)
{
    public static Error Validation(string code, string message, string? field = null, string? fieldMessage = null) =>
        new(code, message, ErrorKind.Validation, 119,
            field is null ? null : new Dictionary<string, string[]> { [field] = [fieldMessage ?? "is not valid."] });

    public static Error NotFound(string code, string message, string field = "uid") =>
        new(code, message, ErrorKind.NotFound, 118, new Dictionary<string, string[]> { [field] = ["is not valid."] });

    public static Error Forbidden(string code, string message) => new(code, message, ErrorKind.Forbidden, 161);

    public static Error Conflict(string code, string message) => new(code, message, ErrorKind.Conflict, 120);

    public static Error Limit(string code, string message) => new(code, message, ErrorKind.LimitExceeded, 121);
}

/// <summary>Errors shared by every organization-scoped use case.</summary>
public static class CommonErrors
{
    public static readonly Error OrganizationNotFound =
        Error.NotFound("organization.not_found", "The organization was not found or you do not have access to it.", "organization_uid");

    public static readonly Error NotAdmin =
        Error.Forbidden("organization.admin_required", "Only the organization's Owner or an Admin can do this.");

    public static readonly Error NotOwner =
        Error.Forbidden("organization.owner_required", "Only the organization's Owner can do this.");

    public static readonly Error NotSignedIn =
        new("session.required", "You're not logged in. Please log in and try again.", ErrorKind.Unauthorized, 105,
            new Dictionary<string, string[]> { ["authtoken"] = ["is not valid."] });
}
