using System.Text;
using Orgstack.Core.Security;

namespace Orgstack.Tests.Accounts;

public sealed class QrCodeTests
{
    [Fact]
    public void ReedSolomon_MatchesTheHelloWorldExampleOfVersion1M()
    {
        byte[] data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17];
        var ec = QrCode.ReedSolomonRemainder(data, QrCode.ReedSolomonDivisor(10));
        Assert.Equal(new byte[] { 196, 35, 39, 119, 235, 215, 231, 226, 93, 23 }, ec);
    }

    [Theory]
    [InlineData(0, "101010000010010")]
    [InlineData(1, "101000100100101")]
    [InlineData(2, "101111001111100")]
    [InlineData(3, "101101101001011")]
    [InlineData(4, "100010111111001")]
    [InlineData(5, "100000011001110")]
    [InlineData(6, "100111110010111")]
    [InlineData(7, "100101010100000")]
    public void FormatBits_MatchTheStandardTableForLevelM(int mask, string expected)
    {
        Assert.Equal(expected, Convert.ToString(QrCode.FormatBits(mask), 2).PadLeft(15, '0'));
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(14, 1)]
    [InlineData(15, 2)]
    [InlineData(84, 5)]
    [InlineData(85, 6)]
    [InlineData(100, 6)]
    [InlineData(150, 8)]
    [InlineData(213, 10)]
    public void Encode_ChoosesTheSmallestVersionThatHoldsTheBytes(int length, int version)
    {
        var qr = QrCode.Encode(new byte[length]);
        Assert.Equal(version, qr.Version);
        Assert.Equal(version * 4 + 17, qr.Size);
    }

    [Fact]
    public void Encode_TooLongForVersion10_Throws()
    {
        Assert.Throws<ArgumentException>(() => QrCode.Encode(new byte[214]));
    }

    [Theory]
    [InlineData("otpauth://totp/Orgstack:someone%40example.test?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Orgstack&algorithm=SHA1&digits=6&period=30")]
    [InlineData("hello")]
    [InlineData("a fairly long string that needs version seven or more to fit into the symbol, with version information blocks drawn as well, and more")]
    public void Encode_ThenDecodeWithAnIndependentReader_GivesTheBytesBack(string text)
    {
        var qr = QrCode.EncodeText(text);
        Assert.Equal(text, Encoding.UTF8.GetString(QrReader.Read(qr)));
    }

    [Fact]
    public void EveryMask_DecodesBack_AtEveryVersion()
    {
        for (var version = 1; version <= 10; version++)
        {
            var capacity = new[] { 14, 26, 42, 62, 84, 106, 122, 152, 180, 213 }[version - 1];
            var bytes = Encoding.ASCII.GetBytes(new string('x', capacity - 3) + "end");
            for (var mask = 0; mask < 8; mask++)
            {
                var qr = QrCode.Encode(bytes, mask);
                Assert.Equal(version, qr.Version);
                Assert.Equal(bytes, QrReader.Read(qr));
            }
        }
    }

    [Fact]
    public void ToPng_WritesAValidPngHeaderAndSize()
    {
        var qr = QrCode.EncodeText("hello");
        var png = qr.ToPng(scale: 4, border: 4);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", Encoding.ASCII.GetString(png, 12, 4));
        var side = (qr.Size + 8) * 4;
        Assert.Equal(side, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal("IEND", Encoding.ASCII.GetString(png, png.Length - 8, 4));
        Assert.StartsWith("<svg", qr.ToSvg());
    }

    /// <summary>
    /// A minimal reader written from the standard, independent of the encoder's drawing code: finds the function
    /// areas, reads the format bits from the symbol, unmasks, reads the zigzag, de-interleaves, checks every block's
    /// Reed-Solomon remainder is zero, and parses the byte-mode segment.
    /// </summary>
    private static class QrReader
    {
        private static readonly (int Ec, int[] Blocks)[] LevelM =
        [
            (10, [16]), (16, [28]), (26, [44]), (18, [32, 32]), (24, [43, 43]),
            (16, [27, 27, 27, 27]), (18, [31, 31, 31, 31]), (22, [38, 38, 39, 39]), (22, [36, 36, 36, 37, 37]), (26, [43, 43, 43, 43, 44]),
        ];

        public static byte[] Read(QrCode qr)
        {
            var size = qr.Size;
            var version = (size - 17) / 4;
            var reserved = new bool[size, size];
            void Reserve(int x0, int y0, int w, int h)
            {
                for (var y = y0; y < y0 + h; y++)
                    for (var x = x0; x < x0 + w; x++)
                        if (x >= 0 && y >= 0 && x < size && y < size) reserved[y, x] = true;
            }
            Reserve(0, 0, 9, 9);
            Reserve(size - 8, 0, 8, 9);
            Reserve(0, size - 8, 9, 8);
            Reserve(6, 0, 1, size);
            Reserve(0, 6, size, 1);
            if (version >= 2)
            {
                var centers = AlignmentCenters(version);
                foreach (var cy in centers)
                    foreach (var cx in centers)
                    {
                        if ((cx == 6 && cy == 6) || (cx == 6 && cy == centers[^1]) || (cx == centers[^1] && cy == 6)) continue;
                        Reserve(cx - 2, cy - 2, 5, 5);
                    }
            }
            if (version >= 7)
            {
                Reserve(size - 11, 0, 3, 6);
                Reserve(0, size - 11, 6, 3);
            }

            // Format bits, first copy: (8,0..5), (8,7), (8,8), (7,8), (5..0,8).
            var format = 0;
            int[][] positions = [[8, 0], [8, 1], [8, 2], [8, 3], [8, 4], [8, 5], [8, 7], [8, 8], [7, 8], [5, 8], [4, 8], [3, 8], [2, 8], [1, 8], [0, 8]];
            for (var i = 0; i < 15; i++) if (qr[positions[i][0], positions[i][1]]) format |= 1 << i;
            var unmasked = format ^ 0x5412;
            Assert.Equal(0, unmasked >> 13); // level M
            var mask = (unmasked >> 10) & 7;

            var bits = new List<bool>();
            var upward = true;
            for (var right = size - 1; right >= 1; right -= 2)
            {
                if (right == 6) right = 5;
                for (var v = 0; v < size; v++)
                {
                    var y = upward ? size - 1 - v : v;
                    for (var x = right; x >= right - 1; x--)
                    {
                        if (reserved[y, x]) continue;
                        var dark = qr[x, y];
                        if (MaskAt(mask, x, y)) dark = !dark;
                        bits.Add(dark);
                    }
                }
                upward = !upward;
            }
            var (ecLength, lengths) = LevelM[version - 1];
            var total = lengths.Sum() + ecLength * lengths.Length;
            var codewords = new byte[total];
            for (var i = 0; i < total * 8; i++) if (bits[i]) codewords[i / 8] |= (byte)(0x80 >> (i % 8));

            var blocks = lengths.Select(l => new List<byte>()).ToArray();
            var index = 0;
            for (var i = 0; i < lengths.Max(); i++)
                for (var b = 0; b < blocks.Length; b++)
                    if (i < lengths[b]) blocks[b].Add(codewords[index++]);
            var data = blocks.SelectMany(b => b).ToArray();
            for (var i = 0; i < ecLength; i++)
                for (var b = 0; b < blocks.Length; b++) blocks[b].Add(codewords[index++]);
            foreach (var block in blocks) Assert.True(SyndromesAreZero(block.ToArray(), ecLength), "Reed-Solomon check failed");

            var reader = new BitReader(data);
            Assert.Equal(0b0100, reader.Take(4));
            var length = reader.Take(version <= 9 ? 8 : 16);
            var result = new byte[length];
            for (var i = 0; i < length; i++) result[i] = (byte)reader.Take(8);
            return result;
        }

        private static List<int> AlignmentCenters(int version) => version switch
        {
            2 => [6, 18], 3 => [6, 22], 4 => [6, 26], 5 => [6, 30], 6 => [6, 34],
            7 => [6, 22, 38], 8 => [6, 24, 42], 9 => [6, 26, 46], _ => [6, 28, 50],
        };

        private static bool MaskAt(int mask, int x, int y) => mask switch
        {
            0 => (y + x) % 2 == 0,
            1 => y % 2 == 0,
            2 => x % 3 == 0,
            3 => (y + x) % 3 == 0,
            4 => (y / 2 + x / 3) % 2 == 0,
            5 => y * x % 2 + y * x % 3 == 0,
            6 => (y * x % 2 + y * x % 3) % 2 == 0,
            _ => ((y + x) % 2 + y * x % 3) % 2 == 0,
        };

        /// <summary>A valid block, read as a polynomial, is zero at the generator's roots α^0..α^(ec-1).</summary>
        private static bool SyndromesAreZero(byte[] block, int ec)
        {
            byte alpha = 1;
            for (var r = 0; r < ec; r++)
            {
                byte value = 0;
                foreach (var c in block) value = (byte)(Mul(value, alpha) ^ c);
                if (value != 0) return false;
                alpha = Mul(alpha, 2);
            }
            return true;
        }

        private static byte Mul(byte a, byte b)
        {
            var result = 0;
            int x = a, y = b;
            while (y > 0)
            {
                if ((y & 1) != 0) result ^= x;
                x <<= 1;
                if ((x & 0x100) != 0) x ^= 0x11D;
                y >>= 1;
            }
            return (byte)result;
        }

        private sealed class BitReader(byte[] data)
        {
            private int position;

            public int Take(int count)
            {
                var value = 0;
                for (var i = 0; i < count; i++, position++)
                    value = (value << 1) | ((data[position / 8] >> (7 - position % 8)) & 1);
                return value;
            }
        }
    }
}
