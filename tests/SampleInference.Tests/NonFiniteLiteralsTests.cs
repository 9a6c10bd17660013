using System.Buffers;
using System.Text;
using ModelPlatform.SampleInference.Protocol;

namespace ModelPlatform.SampleInference.Tests;

public sealed class NonFiniteLiteralsTests
{
    [Theory]
    [InlineData("[NaN, Infinity, -Infinity]", """["NaN", "Infinity", "-Infinity"]""")]
    [InlineData("""{"a":NaN,"b":[1,-Infinity]}""", """{"a":"NaN","b":[1,"-Infinity"]}""")]
    [InlineData("""["NaN", "x\"NaN", NaN]""", """["NaN", "x\"NaN", "NaN"]""")]
    [InlineData("""["\\", NaN]""", """["\\", "NaN"]""")]
    public void Bare_words_outside_strings_are_quoted_and_strings_are_left_alone(string json, string expected)
    {
        var quoted = NonFiniteLiterals.Quote(Encoding.UTF8.GetBytes(json), out var length);

        Assert.NotNull(quoted);
        Assert.Equal(expected, Encoding.UTF8.GetString(quoted, 0, length));
        ArrayPool<byte>.Shared.Return(quoted);
    }

    [Theory]
    [InlineData("""["NaN", "Infinity"]""")]
    [InlineData("[NaNa, xInfinity, 1]")]
    [InlineData("[1, 2,]")]
    public void Text_without_bare_words_gives_nothing(string json)
    {
        Assert.Null(NonFiniteLiterals.Quote(Encoding.UTF8.GetBytes(json), out _));
    }
}
