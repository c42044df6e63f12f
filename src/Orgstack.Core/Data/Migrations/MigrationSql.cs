namespace Orgstack.Core.Data.Migrations;

internal static class MigrationSql
{
    public static string Load(string name, string? provider)
    {
        var suffix = provider == "Npgsql.EntityFrameworkCore.PostgreSQL" ? "postgres" : "sqlite";
        var resource = $"Orgstack.Core.Data.Migrations.{name}.{suffix}.sql";
        using var stream = typeof(MigrationSql).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration script {resource} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
