using System.IO.Compression;
using System.Text;

namespace Orgstack.Core.Security;

/// <summary>
/// A small QR code encoder (ISO/IEC 18004): byte mode, error correction level M, versions 1 to 10 (up to 213 bytes),
/// the mask with the lowest penalty; renders to PNG or SVG. Enough for otpauth:// URIs.
/// </summary>
public sealed class QrCode
{
    // Level M, versions 1..10: EC codewords per block and the blocks' data lengths.
    private static readonly (int Ec, int[] Blocks)[] LevelM =
    [
        (10, [16]), (16, [28]), (26, [44]), (18, [32, 32]), (24, [43, 43]),
        (16, [27, 27, 27, 27]), (18, [31, 31, 31, 31]), (22, [38, 38, 39, 39]), (22, [36, 36, 36, 37, 37]), (26, [43, 43, 43, 43, 44]),
    ];

    private static readonly int[][] AlignmentCenters =
    [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50],
    ];

    public const int MaxVersion = 10;

    private readonly bool[,] modules;
    private readonly bool[,] isFunction;

    public int Version { get; }
    public int Size { get; }
    public int Mask { get; private set; }

    /// <summary>True for a dark module at column x, row y.</summary>
    public bool this[int x, int y] => modules[y, x];

    private QrCode(int version)
    {
        Version = version;
        Size = version * 4 + 17;
        modules = new bool[Size, Size];
        isFunction = new bool[Size, Size];
    }

    public static QrCode EncodeText(string text) => Encode(Encoding.UTF8.GetBytes(text));

    /// <summary>Encodes bytes, choosing the smallest version and the best mask (or the given mask, 0..7).</summary>
    public static QrCode Encode(byte[] data, int? forcedMask = null)
    {
        var version = 1;
        for (; version <= MaxVersion; version++)
            if (4 + CountBits(version) + data.Length * 8 <= DataCodewords(version) * 8) break;
        if (version > MaxVersion) throw new ArgumentException($"Data too long for a version {MaxVersion} QR code at level M.", nameof(data));

        var qr = new QrCode(version);
        var codewords = qr.AddErrorCorrection(DataWithPadding(data, version));
        qr.DrawFunctionPatterns();
        qr.DrawCodewords(codewords);

        if (forcedMask is { } m)
        {
            qr.ApplyMask(m);
            qr.DrawFormatBits(m);
            qr.Mask = m;
            return qr;
        }
        var best = 0;
        var bestPenalty = int.MaxValue;
        for (var mask = 0; mask < 8; mask++)
        {
            qr.ApplyMask(mask);
            qr.DrawFormatBits(mask);
            var penalty = qr.Penalty();
            if (penalty < bestPenalty)
            {
                best = mask;
                bestPenalty = penalty;
            }
            qr.ApplyMask(mask); // XOR again: undo
        }
        qr.ApplyMask(best);
        qr.DrawFormatBits(best);
        qr.Mask = best;
        return qr;
    }

    private static int CountBits(int version) => version <= 9 ? 8 : 16;

    private static int DataCodewords(int version) => LevelM[version - 1].Blocks.Sum();

    internal static byte[] DataWithPadding(byte[] data, int version)
    {
        var capacity = DataCodewords(version) * 8;
        var bits = new List<bool>(capacity);
        void Append(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--) bits.Add(((value >> i) & 1) != 0);
        }
        Append(0b0100, 4);
        Append(data.Length, CountBits(version));
        foreach (var b in data) Append(b, 8);
        Append(0, Math.Min(4, capacity - bits.Count));
        Append(0, (8 - bits.Count % 8) % 8);
        for (var pad = 0xEC; bits.Count < capacity; pad ^= 0xEC ^ 0x11) Append(pad, 8);

        var bytes = new byte[bits.Count / 8];
        for (var i = 0; i < bits.Count; i++)
            if (bits[i]) bytes[i >> 3] |= (byte)(0x80 >> (i & 7));
        return bytes;
    }

    private byte[] AddErrorCorrection(byte[] data)
    {
        var (ecLength, lengths) = LevelM[Version - 1];
        var divisor = ReedSolomonDivisor(ecLength);
        var blocks = new List<(byte[] Data, byte[] Ec)>();
        var offset = 0;
        foreach (var length in lengths)
        {
            var block = data.AsSpan(offset, length).ToArray();
            offset += length;
            blocks.Add((block, ReedSolomonRemainder(block, divisor)));
        }
        var result = new List<byte>(data.Length + ecLength * lengths.Length);
        for (var i = 0; i < lengths.Max(); i++)
            foreach (var block in blocks)
                if (i < block.Data.Length) result.Add(block.Data[i]);
        for (var i = 0; i < ecLength; i++)
            foreach (var block in blocks)
                result.Add(block.Ec[i]);
        return result.ToArray();
    }

    internal static byte[] ReedSolomonDivisor(int degree)
    {
        var result = new byte[degree];
        result[degree - 1] = 1;
        byte root = 1;
        for (var i = 0; i < degree; i++)
        {
            for (var j = 0; j < result.Length; j++)
            {
                result[j] = Multiply(result[j], root);
                if (j + 1 < result.Length) result[j] ^= result[j + 1];
            }
            root = Multiply(root, 0x02);
        }
        return result;
    }

    internal static byte[] ReedSolomonRemainder(byte[] data, byte[] divisor)
    {
        var result = new byte[divisor.Length];
        foreach (var b in data)
        {
            var factor = (byte)(b ^ result[0]);
            Array.Copy(result, 1, result, 0, result.Length - 1);
            result[^1] = 0;
            for (var i = 0; i < result.Length; i++) result[i] ^= Multiply(divisor[i], factor);
        }
        return result;
    }

    private static byte Multiply(byte x, byte y)
    {
        var z = 0;
        for (var i = 7; i >= 0; i--)
        {
            z = (z << 1) ^ ((z >> 7) * 0x11D);
            z ^= ((y >> i) & 1) * x;
        }
        return (byte)z;
    }

    private void SetFunction(int x, int y, bool dark)
    {
        modules[y, x] = dark;
        isFunction[y, x] = true;
    }

    private void DrawFunctionPatterns()
    {
        for (var i = 0; i < Size; i++)
        {
            SetFunction(6, i, i % 2 == 0);
            SetFunction(i, 6, i % 2 == 0);
        }
        DrawFinder(3, 3);
        DrawFinder(Size - 4, 3);
        DrawFinder(3, Size - 4);

        var centers = AlignmentCenters[Version - 1];
        for (var i = 0; i < centers.Length; i++)
            for (var j = 0; j < centers.Length; j++)
            {
                if ((i == 0 && j == 0) || (i == 0 && j == centers.Length - 1) || (i == centers.Length - 1 && j == 0)) continue;
                for (var dy = -2; dy <= 2; dy++)
                    for (var dx = -2; dx <= 2; dx++)
                        SetFunction(centers[i] + dx, centers[j] + dy, Math.Max(Math.Abs(dx), Math.Abs(dy)) != 1);
            }

        DrawFormatBits(0);
        DrawVersion();
    }

    private void DrawFinder(int x, int y)
    {
        for (var dy = -4; dy <= 4; dy++)
            for (var dx = -4; dx <= 4; dx++)
            {
                var distance = Math.Max(Math.Abs(dx), Math.Abs(dy));
                int xx = x + dx, yy = y + dy;
                if (xx >= 0 && xx < Size && yy >= 0 && yy < Size) SetFunction(xx, yy, distance != 2 && distance != 4);
            }
    }

    /// <summary>The 15 format bits: level M (00) and the mask, BCH(15,5), XOR 0x5412.</summary>
    internal static int FormatBits(int mask)
    {
        var data = (0b00 << 3) | mask;
        var rem = data;
        for (var i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >> 9) * 0x537);
        return ((data << 10) | rem) ^ 0x5412;
    }

    private void DrawFormatBits(int mask)
    {
        var bits = FormatBits(mask);
        for (var i = 0; i <= 5; i++) SetFunction(8, i, Bit(bits, i));
        SetFunction(8, 7, Bit(bits, 6));
        SetFunction(8, 8, Bit(bits, 7));
        SetFunction(7, 8, Bit(bits, 8));
        for (var i = 9; i < 15; i++) SetFunction(14 - i, 8, Bit(bits, i));
        for (var i = 0; i < 8; i++) SetFunction(Size - 1 - i, 8, Bit(bits, i));
        for (var i = 8; i < 15; i++) SetFunction(8, Size - 15 + i, Bit(bits, i));
        SetFunction(8, Size - 8, true);
    }

    private void DrawVersion()
    {
        if (Version < 7) return;
        var rem = Version;
        for (var i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >> 11) * 0x1F25);
        var bits = (Version << 12) | rem;
        for (var i = 0; i < 18; i++)
        {
            var bit = Bit(bits, i);
            int a = Size - 11 + i % 3, b = i / 3;
            SetFunction(a, b, bit);
            SetFunction(b, a, bit);
        }
    }

    private void DrawCodewords(byte[] data)
    {
        var i = 0;
        for (var right = Size - 1; right >= 1; right -= 2)
        {
            if (right == 6) right = 5;
            for (var vert = 0; vert < Size; vert++)
                for (var j = 0; j < 2; j++)
                {
                    var x = right - j;
                    var upward = ((right + 1) & 2) == 0;
                    var y = upward ? Size - 1 - vert : vert;
                    if (!isFunction[y, x] && i < data.Length * 8)
                    {
                        modules[y, x] = Bit(data[i >> 3], 7 - (i & 7));
                        i++;
                    }
                }
        }
    }

    private void ApplyMask(int mask)
    {
        for (var y = 0; y < Size; y++)
            for (var x = 0; x < Size; x++)
            {
                var invert = mask switch
                {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                if (!isFunction[y, x] && invert) modules[y, x] = !modules[y, x];
            }
    }

    /// <summary>The four penalty rules of the standard (runs, 2×2 blocks, finder-like patterns, balance).</summary>
    private int Penalty()
    {
        var penalty = 0;
        for (var pass = 0; pass < 2; pass++)
            for (var a = 0; a < Size; a++)
            {
                var run = 1;
                for (var b = 1; b < Size; b++)
                {
                    bool current = pass == 0 ? modules[a, b] : modules[b, a], previous = pass == 0 ? modules[a, b - 1] : modules[b - 1, a];
                    if (current == previous)
                    {
                        run++;
                        if (run == 5) penalty += 3;
                        else if (run > 5) penalty++;
                    }
                    else run = 1;
                }
                for (var b = 0; b + 10 < Size + 4; b++)
                {
                    // 1011101 with four light modules before or after (light outside the symbol).
                    bool At(int i) => i >= 0 && i < Size && (pass == 0 ? modules[a, i] : modules[i, a]);
                    var core = At(b) && !At(b + 1) && At(b + 2) && At(b + 3) && At(b + 4) && !At(b + 5) && At(b + 6);
                    if (!core) continue;
                    var before = !At(b - 1) && !At(b - 2) && !At(b - 3) && !At(b - 4);
                    var after = !At(b + 7) && !At(b + 8) && !At(b + 9) && !At(b + 10);
                    if (before || after) penalty += 40;
                }
            }
        for (var y = 0; y < Size - 1; y++)
            for (var x = 0; x < Size - 1; x++)
            {
                var c = modules[y, x];
                if (c == modules[y, x + 1] && c == modules[y + 1, x] && c == modules[y + 1, x + 1]) penalty += 3;
            }
        var dark = 0;
        foreach (var m in modules) if (m) dark++;
        var total = Size * Size;
        penalty += Math.Abs(dark * 20 - total * 10) / total * 10;
        return penalty;
    }

    private static bool Bit(int value, int index) => ((value >> index) & 1) != 0;

    /// <summary>A black-on-white PNG (8-bit greyscale) with a quiet zone of <paramref name="border"/> modules.</summary>
    public byte[] ToPng(int scale = 6, int border = 4)
    {
        var side = (Size + border * 2) * scale;
        var raw = new byte[side * (side + 1)];
        for (var py = 0; py < side; py++)
        {
            var row = py * (side + 1);
            raw[row] = 0; // filter: none
            var my = py / scale - border;
            for (var px = 0; px < side; px++)
            {
                var mx = px / scale - border;
                var dark = mx >= 0 && my >= 0 && mx < Size && my < Size && modules[my, mx];
                raw[row + 1 + px] = dark ? (byte)0 : (byte)255;
            }
        }
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), side);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8; // bit depth
        header[9] = 0; // greyscale
        WriteChunk(output, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(raw);
            WriteChunk(output, "IDAT", compressed.ToArray());
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>An SVG of the symbol (one path), with a quiet zone.</summary>
    public string ToSvg(int border = 4)
    {
        var builder = new StringBuilder();
        var side = Size + border * 2;
        builder.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">");
        builder.Append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
        for (var y = 0; y < Size; y++)
            for (var x = 0; x < Size; x++)
                if (modules[y, x]) builder.Append($"M{x + border},{y + border}h1v1h-1z");
        builder.Append("\"/></svg>");
        return builder.ToString();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        output.Write(number);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = Crc32(typeBytes, data);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(number, crc);
        output.Write(number);
    }

    internal static uint Crc32(params byte[][] parts)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var part in parts)
            foreach (var b in part)
            {
                crc ^= b;
                for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        return crc ^ 0xFFFFFFFFu;
    }
}
