using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console;

/// <summary>Marks a console page that works without a session (sign-in, setup, errors).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class AnonymousPageAttribute : Attribute;

/// <summary>
/// Every console page requires a live session unless its model says otherwise; the rest of the page never runs
/// for an anonymous caller.
/// </summary>
public sealed class ConsoleAuthenticationFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var anonymous = context.HandlerInstance.GetType().IsDefined(typeof(AnonymousPageAttribute), inherit: true);
        if (!anonymous && context.HttpContext.Actor() is null)
        {
            context.Result = new RedirectResult(SignInRedirect(context.HttpContext.Request));
            return;
        }
        if (!anonymous && context.HttpContext.SignedInUser() is { MustEnrollMfa: true }
            && !context.HandlerInstance.GetType().IsDefined(typeof(AllowedWhileEnrollingMfaAttribute), inherit: true))
        {
            context.Result = new RedirectResult("/account/security");
            return;
        }
        await next();
    }

    public static string SignInRedirect(HttpRequest request)
    {
        var back = request.Path.Value + request.QueryString.Value;
        return back is "/" or "" ? "/sign-in" : "/sign-in?returnUrl=" + Uri.EscapeDataString(back);
    }
}

/// <summary>What the layout needs: who is signed in and, inside an organization, where they are and what they may see.</summary>
public abstract class ConsolePageModel : PageModel
{
    public SignedIn? SignedIn => HttpContext.SignedInUser();
    public Actor? Caller => HttpContext.Actor();

    /// <summary>The organization in the URL, once access has been checked through Core.</summary>
    public Organization? Org { get; protected set; }
    public OrgRole? Role { get; protected set; }
    public IReadOnlyList<OrganizationView> MyOrganizations { get; protected set; } = [];
    public bool IsAdmin => Role is { } role && OrgPermissions.CanAdminister(role);

    /// <summary>The navigation entry to highlight.</summary>
    public virtual string Section => "";
    public virtual string Title => "Orgstack";

    /// <summary>Sign-in and setup pages stand alone (a centered card) even for a signed-in visitor.</summary>
    public virtual bool StandAlone => false;

    /// <summary>A local path to return to after signing in; anything else (another host, scheme, backslashes) becomes null.</summary>
    public static string? SafeReturnUrl(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > 2048) return null;
        if (url[0] != '/' || url.StartsWith("//", StringComparison.Ordinal) || url.StartsWith("/\\", StringComparison.Ordinal)) return null;
        if (url.Any(c => char.IsControl(c) || c == '\\')) return null;
        return url;
    }

    /// <summary>
    /// Post/redirect/get: seals <paramref name="value"/> into a <c>result</c> token for this user and <paramref name="scope"/>
    /// and answers 303 See Other to <paramref name="localUrl"/> with it (see <see cref="ConsoleResultTokens"/>).
    /// </summary>
    protected IActionResult SeeOtherWithResult<T>(string localUrl, string scope, T value)
    {
        var token = HttpContext.RequestServices.GetRequiredService<ConsoleResultTokens>().Seal(Caller?.UserUid ?? "", scope, value);
        return new SeeOtherResult(localUrl + (localUrl.Contains('?') ? "&" : "?") + ConsoleResultTokens.QueryKey + "=" + token);
    }

    /// <summary>The result sealed by <see cref="SeeOtherWithResult"/> for this user and scope, if the URL carries a valid one.</summary>
    protected T? ReadResult<T>(string scope) where T : class =>
        HttpContext.RequestServices.GetRequiredService<ConsoleResultTokens>().Open<T>(Request.Query[ConsoleResultTokens.QueryKey].ToString(), Caller?.UserUid ?? "", scope);

    protected async Task LoadMyOrganizationsAsync(CancellationToken ct)
    {
        if (Caller is null) return;
        var list = await HttpContext.RequestServices.GetRequiredService<ListMyOrganizations>()
            .HandleAsync(new ListMyOrganizations.Request(0, 100, false, null), Caller, ct);
        if (list.IsSuccess) MyOrganizations = list.Value.Items;
    }
}

/// <summary>
/// A page inside one organization (<c>/o/{orgUid}/…</c>). Access goes through Core's <see cref="OrgAccess"/>:
/// a non-member sees 404 (the organization's existence is not revealed), a Member on an admin page 403.
/// </summary>
public abstract class OrgPageModel : ConsolePageModel
{
    [FromRoute(Name = "orgUid")]
    public string OrgUid { get; set; } = "";

    /// <summary>Pages under Administration answer only to the Owner and Admins.</summary>
    protected virtual bool RequiresAdmin => true;

    public Membership Membership { get; private set; } = null!;

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var caller = Caller;
        if (caller is null)
        {
            context.Result = new RedirectResult(ConsoleAuthenticationFilter.SignInRedirect(Request));
            return;
        }
        var ct = HttpContext.RequestAborted;
        var access = HttpContext.RequestServices.GetRequiredService<OrgAccess>();
        var membership = RequiresAdmin ? await access.AdminAsync(OrgUid, caller, ct) : await access.MemberAsync(OrgUid, caller, ct);
        if (!membership.IsSuccess)
        {
            context.Result = new StatusCodeResult(membership.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
            return;
        }
        Membership = membership.Value;
        Role = membership.Value.Role;
        await LoadMyOrganizationsAsync(ct);
        Org = MyOrganizations.FirstOrDefault(o => o.Organization.Uid == OrgUid)?.Organization
              ?? (await HttpContext.RequestServices.GetRequiredService<GetOrganization>().HandleAsync(OrgUid, caller, ct)).Value.Organization;
        await next();
    }

    public string OrgPath(string rest = "") => $"/o/{Uri.EscapeDataString(OrgUid)}{rest}";
}
