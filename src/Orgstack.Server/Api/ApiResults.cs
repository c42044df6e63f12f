using Orgstack.Core.Common;

namespace Orgstack.Server.Api;

/// <summary>The one table from Core errors to HTTP statuses and Contentstack's error body.</summary>
public static class ApiResults
{
    public static int StatusOf(Error error) => error.Kind switch
    {
        ErrorKind.Validation => StatusCodes.Status422UnprocessableEntity,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorKind.TwoFactorRequired => StatusCodes.Status401Unauthorized,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.LimitExceeded => StatusCodes.Status422UnprocessableEntity,
        ErrorKind.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorKind.PreconditionFailed => StatusCodes.Status412PreconditionFailed,
        _ => StatusCodes.Status400BadRequest,
    };

    public static IResult Error(Error error)
    {
        var body = new Dictionary<string, object?>
        {
            ["error_message"] = error.Message,
            ["error_code"] = error.Number,
            ["errors"] = error.Fields ?? new Dictionary<string, string[]>(),
        };
        if (error.Kind == ErrorKind.TwoFactorRequired) body["tfa_type"] = "totp_authenticator";
        return Results.Json(body, statusCode: StatusOf(error));
    }

    public static IResult Error(int status, int code, string message, IReadOnlyDictionary<string, string[]>? fields = null) =>
        Results.Json(new Dictionary<string, object?>
        {
            ["error_message"] = message,
            ["error_code"] = code,
            ["errors"] = fields ?? new Dictionary<string, string[]>(),
        }, statusCode: status);

    public static IResult From<T>(Result<T> result, Func<T, object> body, int status = StatusCodes.Status200OK) =>
        result.IsSuccess ? Results.Json(body(result.Value), statusCode: status) : Error(result.Error!);

    public static IResult Invalid(string field, string message) =>
        Error(Core.Common.Error.Validation("request.invalid", message, field, "is not valid."));
}
