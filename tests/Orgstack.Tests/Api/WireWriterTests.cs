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

public sealed class WireTimeTests
{
    [Fact]
    public void Time_IsTheFormatStringsOutput_ForAnyInstantAndOffset()
    {
        var random = new Random(7341);
        var instants = new List<DateTimeOffset>
        {
            DateTimeOffset.MinValue.AddHours(14), new(9999, 12, 31, 9, 59, 59, 999, TimeSpan.Zero), DateTimeOffset.UnixEpoch,
            new(2026, 11, 22, 23, 30, 0, 5, TimeSpan.FromHours(-5)), new(2024, 2, 29, 0, 0, 0, 0, TimeSpan.FromHours(14)),
        };
        for (var i = 0; i < 10_000; i++)
            instants.Add(new DateTimeOffset(random.NextInt64(DateTimeOffset.UnixEpoch.Ticks, new DateTime(2200, 1, 1).Ticks), TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1))));
        foreach (var instant in instants)
            Assert.Equal(instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), Wire.Time(instant));
    }
}
