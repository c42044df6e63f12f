namespace Orgstack.Server.Api;

/// <summary>Contentstack's list parameters: skip, limit, asc/desc, include_count, typeahead.</summary>
public sealed record Paging(int Skip, int Limit, string? Asc, string? Desc, bool IncludeCount, string? Typeahead)
{
    public const int MaxLimit = 100;

    /// <summary>Reads the parameters, or explains which one is wrong.</summary>
    public static (Paging? Paging, IResult? Error) From(HttpRequest request, int defaultLimit = 100, int maxLimit = MaxLimit)
    {
        var q = request.Query;
        int skip = 0, limit = defaultLimit;
        if (q.TryGetValue("skip", out var s) && !string.IsNullOrEmpty(s) && (!int.TryParse(s, out skip) || skip < 0))
            return (null, ApiResults.Invalid("skip", "skip must be a whole number of at least 0."));
        if (q.TryGetValue("limit", out var l) && !string.IsNullOrEmpty(l) && (!int.TryParse(l, out limit) || limit < 1))
            return (null, ApiResults.Invalid("limit", "limit must be a whole number of at least 1."));
        limit = Math.Min(limit, maxLimit);
        var typeahead = q["typeahead"].ToString();
        if (typeahead.Length > 200) return (null, ApiResults.Invalid("typeahead", "typeahead must be at most 200 characters."));
        return (new Paging(skip, limit, Nonempty(q["asc"]), Nonempty(q["desc"]), Flag(request, "include_count"), Nonempty(typeahead)), null);
    }

    public static bool Flag(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var v) && (v.ToString() is "true" or "1" or "True");

    private static string? Nonempty(Microsoft.Extensions.Primitives.StringValues value) =>
        string.IsNullOrWhiteSpace(value.ToString()) ? null : value.ToString().Trim();
}
