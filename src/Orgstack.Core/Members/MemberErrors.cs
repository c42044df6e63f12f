using Orgstack.Core.Common;

namespace Orgstack.Core.Members;

/// <summary>The errors of member, invitation and ownership-transfer use cases.</summary>
public static class MemberErrors
{
    public static readonly Error InvalidEmail = Error.Validation("invitation.email_invalid", "The email address is not valid.", "email");
    public static readonly Error RoleRequired = Error.Validation("invitation.role_required",
        "Every invitation needs exactly one organization role: admin or member.", "org_roles", "must hold exactly one role.");
    public static readonly Error OwnerNotAssignable = Error.Forbidden("member.owner_not_assignable",
        "Nobody can be made Owner except through an ownership transfer.");
    public static readonly Error UnknownRole = Error.Validation("invitation.role_unknown",
        "The organization role is not one of this organization's roles (admin or member).", "org_roles");
    public static readonly Error AlreadyMember = Error.Conflict("invitation.already_member", "This person is already a member of the organization.");
    public static readonly Error AlreadyInvited = Error.Conflict("invitation.already_invited",
        "This address has already been invited: resend the invitation instead.");
    public static readonly Error UserLimitReached = Error.Limit("plan.user_limit",
        "The organization's plan allows no more users (members and pending invitations).");
    public static readonly Error StackNotFound = Error.Validation("invitation.stack_unknown",
        "A stack is not part of this organization.", "stacks", "holds a stack that is not in this organization.");
    public static readonly Error StackRoleNotFound = Error.Validation("invitation.stack_role_unknown",
        "A stack role does not belong to its stack.", "stacks", "holds a role that is not in its stack.");
    public static readonly Error NoAddresses = Error.Validation("invitation.no_addresses", "Name at least one email address to invite.", "users", "is empty.");
    public static readonly Error TooManyAddresses = Error.Validation("invitation.too_many_addresses", "Too many addresses in one request.", "users", "holds too many addresses.");
    public static readonly Error MessageTooLong = Error.Validation("invitation.message_too_long", "The message must be at most 2,000 characters.", "message");

    /// <summary>One answer for unknown, expired, used and revoked links, so a link reveals nothing.</summary>
    public static readonly Error InvalidLink = Error.Validation("invitation.link_invalid", "This invitation link is invalid or has expired.", "token");
    public static readonly Error InvalidTransferLink = Error.Validation("ownership.link_invalid", "This ownership transfer link is invalid or has expired.", "token");
    public static readonly Error SignInToAccept = new("invitation.sign_in_required", "Sign in to accept this invitation.", ErrorKind.Unauthorized, 105,
        new Dictionary<string, string[]> { ["authtoken"] = ["is required to accept this invitation."] });
    public static readonly Error SignInToAcceptTransfer = new("ownership.sign_in_required", "Sign in to accept this ownership transfer.", ErrorKind.Unauthorized, 105,
        new Dictionary<string, string[]> { ["authtoken"] = ["is required to accept this ownership transfer."] });
    public static readonly Error WrongAccount = Error.Forbidden("invitation.wrong_account",
        "This invitation was sent to another address. Sign in as the invited person to accept it.");
    public static readonly Error WrongTransferAccount = Error.Forbidden("ownership.wrong_account",
        "This ownership transfer was offered to another address. Sign in as that person to accept it.");
    public static readonly Error NameRequired = Error.Validation("account.name_invalid",
        "Give a first name (1 to 100 characters) and a last name (up to 100 characters), without control characters.", "first_name");

    public static readonly Error ShareNotFound = Error.NotFound("share.not_found", "The user or invitation was not found in this organization.", "share_uid");
    public static readonly Error NotPending = Error.Validation("invitation.not_pending", "Only a pending invitation can be resent.", "share_uid");
    public static readonly Error OwnerChangesOnlyByTransfer = Error.Forbidden("member.owner_only_by_transfer",
        "The Owner's role changes only through an ownership transfer.");
    public static readonly Error CannotChangeOwnRole = Error.Forbidden("member.own_role", "You cannot change your own organization role.");
    public static readonly Error OwnerCannotBeRemoved = Error.Forbidden("member.owner_not_removable",
        "The Owner cannot be removed. Transfer the ownership first.");
    public static readonly Error NothingToChange = Error.Validation("member.nothing_to_change", "Give an organization role or stack roles to change.", "share");
    public static readonly Error TooManyUsers = Error.Validation("member.too_many_users", "Too many users in one request.", "emails");
    public static readonly Error NoEmails = Error.Validation("member.no_emails", "Name at least one email address.", "emails", "is empty.");

    public static readonly Error TransferPending = Error.Conflict("ownership.transfer_pending",
        "An ownership transfer is already pending: cancel it before starting another.");
    public static readonly Error TransferToSelf = Error.Validation("ownership.transfer_to_self", "You already own this organization.", "transfer_to");
    public static readonly Error NoPendingTransfer = Error.NotFound("ownership.no_pending_transfer", "There is no pending ownership transfer.", "transfer");

    public static Error NotFoundEmail(string email) => Error.NotFound("share.not_found", $"{email} is neither a member nor invited.", "emails");
}
