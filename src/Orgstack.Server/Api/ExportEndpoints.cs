using System.Text;
using Microsoft.Net.Http.Headers;
using Orgstack.Core.Export;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>
/// <c>GET /v3/organizations/{org}/users/export.csv</c>: every member and pending invitation as CSV (Owner or Admin).
/// Contentstack keeps this in its UI only; the endpoint follows the API's conventions (authtoken, error body).
/// </summary>
public static class ExportEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        v3.MapGet("/organizations/{organizationUid}/users/export.csv", async (string organizationUid, HttpContext http, ExportMembersCsv export, CancellationToken ct) =>
        {
            var result = await export.HandleAsync(new ExportMembersCsv.Request(organizationUid), http.Actor()!, ct);
            return result.IsSuccess ? new CsvResult(result.Value) : ApiResults.Error(result.Error!);
        })
        .RequireSession()
        .WithTags("Organizations")
        .WithSummary("CSV export of the organization's users and pending invitations, sorted by email (Owner or Admin).")
        .Produces(StatusCodes.Status200OK, contentType: "text/csv");
    }

    /// <summary>Streams the export straight to the response; nothing is held beyond one batch.</summary>
    private sealed class CsvResult(ExportMembersCsv.Export export) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var response = http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/csv; charset=utf-8";
            response.Headers[HeaderNames.ContentDisposition] = new ContentDispositionHeaderValue("attachment") { FileName = $"\"{export.FileName}\"" }.ToString();
            response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
            response.Headers[HeaderNames.CacheControl] = "no-store";
            await using var writer = new StreamWriter(response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024);
            await export.WriteAsync(writer, http.RequestAborted);
            await writer.FlushAsync(http.RequestAborted);
        }
    }
}
