using System.Security.Cryptography;
using System.Text;
using Orgstack.Core.Security;

namespace Orgstack.Tests.Accounts;

public sealed class TotpTests
{
    private static readonly byte[] Sha1Seed = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] Sha256Seed = Encoding.ASCII.GetBytes("12345678901234567890123456789012");
    private static readonly byte[] Sha512Seed = Encoding.ASCII.GetBytes("1234567890123456789012345678901234567890123456789012345678901234");

    // RFC 6238 Appendix B.
    [Theory]
    [InlineData(59L, "94287082", "46119246", "90693936")]
    [InlineData(1111111109L, "07081804", "68084774", "25091201")]
    [InlineData(1111111111L, "14050471", "67062674", "99943326")]
    [InlineData(1234567890L, "89005924", "91819424", "93441116")]
    [InlineData(2000000000L, "69279037", "90698825", "38618901")]
    [InlineData(20000000000L, "65353130", "77737706", "47863826")]
    public void Rfc6238Vectors_MatchForSha1Sha256AndSha512(long unixSeconds, string sha1, string sha256, string sha512)
    {
        var step = Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));
        Assert.Equal(sha1, Totp.Code(Sha1Seed, step, 8));
        Assert.Equal(sha256, Totp.Code(Sha256Seed, step, 8, HashAlgorithmName.SHA256));
        Assert.Equal(sha512, Totp.Code(Sha512Seed, step, 8, HashAlgorithmName.SHA512));
    }

    [Fact]
    public void SixDigitCode_IsTheLastSixDigitsOfTheRfcValue()
    {
        Assert.Equal("287082", Totp.Code(Sha1Seed, Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(59))));
    }

    [Fact]
    public void MatchingStep_AcceptsOneStepEitherSide_AndNothingFurther()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1234567890);
        var step = Totp.StepAt(now);
        Assert.Equal(step - 1, Totp.MatchingStep(Sha1Seed, Totp.Code(Sha1Seed, step - 1), now));
        Assert.Equal(step, Totp.MatchingStep(Sha1Seed, Totp.Code(Sha1Seed, step), now));
        Assert.Equal(step + 1, Totp.MatchingStep(Sha1Seed, Totp.Code(Sha1Seed, step + 1), now));
        Assert.Null(Totp.MatchingStep(Sha1Seed, Totp.Code(Sha1Seed, step + 2), now));
        Assert.Null(Totp.MatchingStep(Sha1Seed, Totp.Code(Sha1Seed, step - 2), now));
        Assert.Null(Totp.MatchingStep(Sha1Seed, "12345a", now));
    }

    [Fact]
    public void Base32_RoundTrips_AndMatchesRfc4648()
    {
        Assert.Equal("MZXW6YTBOI", Base32.Encode("foobar"u8));
        Assert.Equal("foobar"u8.ToArray(), Base32.Decode("mzxw 6ytb-oi======"));
        var bytes = RandomNumberGenerator.GetBytes(20);
        Assert.Equal(bytes, Base32.Decode(Base32.Encode(bytes)));
        Assert.Null(Base32.Decode("not base32!"));
    }

    [Fact]
    public void OtpauthUri_CarriesSecretIssuerAndParameters()
    {
        var uri = Totp.Uri("Orgstack", "a@b.test", "JBSWY3DPEHPK3PXP");
        Assert.Equal("otpauth://totp/Orgstack:a%40b.test?secret=JBSWY3DPEHPK3PXP&issuer=Orgstack&algorithm=SHA1&digits=6&period=30", uri);
    }
}
