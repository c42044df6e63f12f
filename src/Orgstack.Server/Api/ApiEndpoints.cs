using System.Reflection;

namespace Orgstack.Server.Api;

/// <summary>
/// Maps every endpoint class of the API: a static class in this namespace whose name ends in "Endpoints" and that has
/// <c>public static void Map(RouteGroupBuilder v3)</c>.
/// </summary>
public static class ApiEndpoints
{
    public static void MapAll(RouteGroupBuilder v3)
    {
        var classes = typeof(ApiEndpoints).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: true, IsSealed: true } && t.Namespace == typeof(ApiEndpoints).Namespace
                        && t.Name.EndsWith("Endpoints", StringComparison.Ordinal) && t != typeof(ApiEndpoints))
            .OrderBy(t => t.Name, StringComparer.Ordinal);
        foreach (var type in classes)
            type.GetMethod("Map", BindingFlags.Public | BindingFlags.Static, [typeof(RouteGroupBuilder)])?.Invoke(null, [v3]);
    }
}
