using System.Buffers;

namespace ModelPlatform.SampleInference.Protocol;

/// <summary>
/// JSON has no NaN or infinity, yet Python's <c>json</c> module, <c>python-rapidjson</c> (which
/// Triton's client uses) and others write them as the bare words <c>NaN</c>, <c>Infinity</c> and
/// <c>-Infinity</c>. This turns each such word outside a string into the string form the decoder
/// reads (<c>"NaN"</c>, ...), so those requests parse. It runs only after a parse has failed: a
/// request in plain JSON never pays for it.
/// </summary>
internal static class NonFiniteLiterals
{
    /// <summary>
    /// A copy of <paramref name="json"/> with every bare non-finite literal quoted, in a buffer rented
    /// from <see cref="ArrayPool{T}.Shared"/> (its first <paramref name="length"/> bytes); null when
    /// there is none, so the text was malformed for another reason.
    /// </summary>
    public static byte[]? Quote(ReadOnlySpan<byte> json, out int length)
    {
        var count = 0;
        for (var position = 0; FindNext(json, position, out var start, out var found); position = start + found)
        {
            count++;
        }

        if (count == 0)
        {
            length = 0;
            return null;
        }

        length = json.Length + (2 * count);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        var output = buffer.AsSpan();
        var copied = 0;
        var written = 0;
        while (FindNext(json, copied, out var start, out var found))
        {
            json[copied..start].CopyTo(output[written..]);
            written += start - copied;
            output[written++] = (byte)'"';
            json.Slice(start, found).CopyTo(output[written..]);
            written += found;
            output[written++] = (byte)'"';
            copied = start + found;
        }

        json[copied..].CopyTo(output[written..]);
        return buffer;
    }

    /// <summary>Finds the next bare literal at or after <paramref name="from"/>, which is outside any string.</summary>
    private static bool FindNext(ReadOnlySpan<byte> json, int from, out int start, out int length)
    {
        var inString = false;
        for (var i = from; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (c == '"')
            {
                inString = true;
                continue;
            }

            ReadOnlySpan<byte> literal = c switch
            {
                (byte)'N' => "NaN"u8,
                (byte)'I' => "Infinity"u8,
                (byte)'-' => "-Infinity"u8,
                _ => [],
            };
            if (!literal.IsEmpty && json[i..].StartsWith(literal) && !IsWordByte(json, i - 1) && !IsWordByte(json, i + literal.Length))
            {
                start = i;
                length = literal.Length;
                return true;
            }
        }

        start = json.Length;
        length = 0;
        return false;
    }

    private static bool IsWordByte(ReadOnlySpan<byte> json, int index) =>
        index >= 0 && index < json.Length && (char.IsAsciiLetterOrDigit((char)json[index]) || json[index] is (byte)'_' or (byte)'.');
}
