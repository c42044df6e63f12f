using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Orgstack.Server.Console;

/// <summary>One line of a per-user result summary after a bulk action: done, unchanged or refused, with Core's sentence.</summary>
public sealed record PersonResult(string Who, string Status, string Notice)
{
    public bool Done => Status == "done";
    public string Label => Status switch
    {
        "done" => "Done",
        "unchanged" => "No change",
        "not_found" => "Not found",
        "not_allowed" => "Not allowed",
        "skipped" => "Not changed",
        _ => "Failed",
    };
    public string Pill => Status switch
    {
        "done" => "pill-active",
        "unchanged" or "skipped" => "pill-member",
        _ => "pill-locked",
    };
}

/// <summary>The outcome of an action on several people, shown above the list it came from.</summary>
public sealed record ActionSummary(string Title, IReadOnlyList<PersonResult> Results, string? Refusal = null)
{
    public int DoneCount => Results.Count(r => r.Done);
    /// <summary>Nothing was refused: every person is done or needed no change.</summary>
    public bool AllDone => Refusal is null && Results.All(r => r.Status is "done" or "unchanged");
}

/// <summary>Streams a CSV download (UTF-8 without BOM) from a writer callback, without holding the file in memory.</summary>
public sealed class CsvDownloadResult(string fileName, Func<TextWriter, CancellationToken, Task> write) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var http = context.HttpContext;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers[HeaderNames.ContentDisposition] = new ContentDispositionHeaderValue("attachment") { FileName = $"\"{fileName}\"" }.ToString();
        response.Headers[HeaderNames.CacheControl] = "no-store";
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024);
        await write(writer, http.RequestAborted);
        await writer.FlushAsync(http.RequestAborted);
    }
}

/// <summary>303 See Other to a local URL: the answer to a POST whose result is shown by a GET (post/redirect/get).</summary>
public sealed class SeeOtherResult(string localUrl) : IActionResult
{
    public string Url { get; } = localUrl.StartsWith('/') && !localUrl.StartsWith("//", StringComparison.Ordinal) && !localUrl.Contains('\\') ? localUrl : "/";

    public Task ExecuteResultAsync(ActionContext context)
    {
        context.HttpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.HttpContext.Response.Headers[HeaderNames.Location] = Url;
        return Task.CompletedTask;
    }
}
