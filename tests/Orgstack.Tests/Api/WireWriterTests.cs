using System.Text;
using System.Text.Json;
using Orgstack.Core.Organizations;
using Orgstack.Server.Api;

namespace Orgstack.Tests.Api;

/// <summary>GET organization and GET roles write their answers with a JSON writer: exactly the bytes of the dictionary shapes.</summary>
public sealed class WireWriterTests
{
    private static readonly JsonSerializerOptions ServerJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DictionaryKeyPolicy = null };

    private static string Written(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) write(json);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static TheoryData<OrgRole, bool, bool> Cases => new()
    {
        { OrgRole.Owner, false, false }, { OrgRole.Admin, true, true }, { OrgRole.Member, false, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void WrittenOrganization_IsByteForByte_TheDictionaryShape(OrgRole role, bool transferPending, bool expires)
    {
        var now = new DateTimeOffset(2026, 11, 22, 6, 30, 15, 123, TimeSpan.Zero);
        var organization = new Organization
        {
            Uid = "bltfedcba9876543210", Name = "Ünïcode \"Org\" & <Co>", CreatedAt = now.AddDays(-30), UpdatedAt = now,
            PlanId = "enterprise", PlanExpiresAt = expires ? now.AddDays(365) : null, Enabled = true,
        };
        var view = new OrganizationView(organization, role, transferPending);

        Assert.Equal(JsonSerializer.Serialize(Wire.Organization(view), ServerJson), Written(json => Wire.WriteOrganization(json, view)));
    }

    [Theory]
    [InlineData(OrgRole.Admin)]
    [InlineData(OrgRole.Member)]
    public void WrittenRole_IsByteForByte_TheDictionaryShape(OrgRole role)
    {
        var createdAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 6, TimeSpan.FromHours(2));

        Assert.Equal(JsonSerializer.Serialize(Wire.Role("bltfedcba9876543210", role, createdAt), ServerJson),
            Written(json => Wire.WriteRole(json, "bltfedcba9876543210", role, createdAt)));
    }
}
