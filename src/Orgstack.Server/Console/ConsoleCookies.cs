namespace Orgstack.Server.Console;

/// <summary>
/// The console's session cookie. It holds the raw session token (the same kind as the API's authtoken); the database
/// decides on every request whether it is still good. Over https it is <c>__Host-orgstack</c>: Secure, host-only,
/// path /, so no other host or path can plant or read it.
/// </summary>
public static class ConsoleCookies
{
    public const string SecureName = "__Host-orgstack";
    public const string PlainName = "orgstack";

    public static string NameFor(HttpRequest request) => request.IsHttps ? SecureName : PlainName;

    /// <summary>Over https only the prefixed cookie counts: a plain one could have been planted over http.</summary>
    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(NameFor(request), out var value) && !string.IsNullOrEmpty(value) ? value : null;

    public static void Write(HttpResponse response, string token) =>
        response.Cookies.Append(NameFor(response.HttpContext.Request), token, Options(response.HttpContext.Request));

    public static void Delete(HttpResponse response) =>
        response.Cookies.Delete(NameFor(response.HttpContext.Request), Options(response.HttpContext.Request));

    private static CookieOptions Options(HttpRequest request) => new()
    {
        HttpOnly = true,
        Secure = request.IsHttps,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        IsEssential = true,
    };
}
