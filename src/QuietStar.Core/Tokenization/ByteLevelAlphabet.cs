using System.Text;

namespace QuietStar.Core.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet: each of the 256 byte values is spelled as one printable character in
/// <c>vocab.json</c> (printable Latin-1 bytes as themselves, the others as U+0100 onwards, so a space is 'Ġ').
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> s_charToByte =
        Enumerable.Range(0, 256).ToDictionary(b => s_byteToChar[b], b => (byte)b);

    /// <summary>The character that spells byte <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => s_byteToChar[value];

    /// <summary>
    /// The bytes a vocabulary token stands for. Characters outside the alphabet (hand-added tokens such as
    /// <c>&lt;pad&gt; </c>) stand for their own UTF-8 encoding.
    /// </summary>
    public static byte[] ToBytes(string token)
    {
        var bytes = new List<byte>(token.Length);
        foreach (Rune rune in token.EnumerateRunes())
        {
            if (rune.IsBmp && s_charToByte.TryGetValue((char)rune.Value, out byte value))
            {
                bytes.Add(value);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(rune.ToString()));
            }
        }

        return [.. bytes];
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int nextUnprintable = 256;
        for (int b = 0; b < 256; b++)
        {
            map[b] = IsPrintable(b) ? (char)b : (char)nextUnprintable++;
        }

        return map;
    }

    private static bool IsPrintable(int b) => b is (>= '!' and <= '~') or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
}
