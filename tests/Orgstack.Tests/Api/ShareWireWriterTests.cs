using System.Text;
using System.Text.Json;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Server.Api;

namespace Orgstack.Tests.Api;

/// <summary>The users list writes shares with a JSON writer; it must produce exactly the bytes of the dictionary shape.</summary>
public sealed class ShareWireWriterTests
{
    private static readonly JsonSerializerOptions ServerJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DictionaryKeyPolicy = null };

    public static TheoryData<bool, bool> Cases => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void WrittenShare_IsByteForByte_TheDictionaryShape(bool accepted, bool includeUserDetails)
    {
        var now = new DateTimeOffset(2026, 11, 22, 6, 30, 15, 123, TimeSpan.Zero);
        var membership = new Membership
        {
            Uid = "blt0123456789abcdef", OrganizationUid = "bltfedcba9876543210", Email = "anna+<tag>@example.test",
            UserUid = accepted ? "blt1111222233334444" : null, Role = accepted ? OrgRole.Owner : OrgRole.Member,
            Status = accepted ? MembershipStatus.Accepted : MembershipStatus.Pending, InvitedByUserUid = accepted ? null : "blt9999888877776666",
            Message = accepted ? null : "Wëlcome \"aboard\" & <go>", InvitedAt = now.AddDays(-3), InvitationExpiresAt = accepted ? null : now.AddDays(4),
            AcceptedAt = accepted ? now.AddDays(-2) : null, CreatedAt = now.AddDays(-3), UpdatedAt = now, AccessWithoutSso = !accepted,
            FirstName = "Änna", LastName = "O'Brien", LastLoginAt = accepted ? now.AddMinutes(-5) : null,
        };
        IReadOnlyList<MemberStackRoles> stacks = accepted
            ? [new MemberStackRoles("blt_api_1", "Web \u2603", ["role_a", "role_b"]), new MemberStackRoles("blt_api_2", "App", [])]
            : [];
        var row = new MemberRow(membership, stacks, accepted ? null : "inviter@example.test");

        var expected = JsonSerializer.Serialize(ShareWire.Share(row, includeUserDetails), ServerJson);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) ShareWire.WriteShare(json, row, includeUserDetails);

        Assert.Equal(expected, Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
