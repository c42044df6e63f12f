using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orgstack.Tests.Support;

/// <summary>A thin JSON client for the /v3 API that keeps the authtoken, as the SDK does.</summary>
public sealed class ApiClient(HttpClient http)
{
    public HttpClient Http { get; } = http;
    public string? AuthToken { get; set; }

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (AuthToken is not null) request.Headers.TryAddWithoutValidation("authtoken", AuthToken);
        if (headers is not null) foreach (var (k, v) in headers) request.Headers.TryAddWithoutValidation(k, v);
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, text, response.Content.Headers.ContentType) { Headers = response.Headers };
    }

    public Task<ApiResponse> GetAsync(string path, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Get, path, null, headers);
    public Task<ApiResponse> PostAsync(string path, object? body, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Post, path, body ?? new { }, headers);
    public Task<ApiResponse> PutAsync(string path, object? body, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Put, path, body ?? new { }, headers);
    public Task<ApiResponse> DeleteAsync(string path, object? body = null, IDictionary<string, string>? headers = null) => SendAsync(HttpMethod.Delete, path, body, headers);

    /// <summary>Signs in and keeps the token for later requests.</summary>
    public async Task<JsonNode> LoginAsync(string email, string password)
    {
        var response = await PostAsync("/v3/user-session", new { user = new { email, password } });
        response.EnsureStatus(HttpStatusCode.OK);
        AuthToken = response.Json["user"]!["authtoken"]!.GetValue<string>();
        return response.Json["user"]!;
    }
}

public sealed record ApiResponse(HttpStatusCode Status, string Body, MediaTypeHeaderValue? ContentType)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("Empty body");

    /// <summary>The response headers (Retry-After, Location, …), when the response came through <see cref="ApiClient"/>.</summary>
    public HttpResponseHeaders? Headers { get; init; }

    public ApiResponse EnsureStatus(HttpStatusCode expected)
    {
        if (Status != expected) throw new Xunit.Sdk.XunitException($"Expected {(int)expected} but got {(int)Status}: {Body}");
        return this;
    }

    /// <summary>Asserts Contentstack's error shape and returns the body.</summary>
    public JsonNode EnsureError(HttpStatusCode expected)
    {
        EnsureStatus(expected);
        var json = Json;
        Assert.False(string.IsNullOrWhiteSpace(json["error_message"]?.GetValue<string>()), "error_message missing: " + Body);
        Assert.NotNull(json["error_code"]);
        return json;
    }
}
