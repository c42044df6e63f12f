using System.Net;
using Orgstack.Core.Common;

namespace Orgstack.Core.Mail;

/// <summary>
/// Fixed mail templates. User data enters only as values (HTML-encoded in the HTML part); links are built from the
/// configured public base URL, never from the request.
/// </summary>
public sealed class MailComposer(OrgstackOptions options, TimeProvider clock)
{
    public string Link(string path) => options.PublicBaseUrl.TrimEnd('/') + path;

    public OutboxMessage Compose(string kind, string to, string subject, string? organizationUid, IReadOnlyList<string> paragraphs,
        (string Label, string Url)? action = null)
    {
        var text = string.Join("\n\n", paragraphs);
        if (action is { } a) text += $"\n\n{a.Label}: {a.Url}";
        text += "\n\n— Orgstack";

        var html = "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1f2933\">"
            + string.Concat(paragraphs.Select(p => $"<p>{WebUtility.HtmlEncode(p)}</p>"))
            + (action is { } b
                ? $"<p><a href=\"{WebUtility.HtmlEncode(b.Url)}\" style=\"background:#4f46e5;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none\">{WebUtility.HtmlEncode(b.Label)}</a></p><p style=\"font-size:12px;color:#52606d\">Or open this address: {WebUtility.HtmlEncode(b.Url)}</p>"
                : "")
            + "<p style=\"font-size:12px;color:#52606d\">— Orgstack</p></body></html>";

        var now = clock.GetUtcNow();
        return new OutboxMessage
        {
            Kind = kind,
            ToAddress = to,
            Subject = SingleLine(subject),
            TextBody = text,
            HtmlBody = html,
            OrganizationUid = organizationUid,
            CreatedAt = now,
            NextAttemptAt = now,
            Status = OutboxStatus.Pending,
        };
    }

    /// <summary>No CR/LF in a header value: a name cannot inject mail headers.</summary>
    public static string SingleLine(string value) =>
        new(value.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
