using System.Text;
using ModelPlatform.Gateway.Mirroring.Comparison;

namespace ModelPlatform.Gateway.Tests.Mirroring;

/// <summary>The tensor-by-tensor comparison of two inference answers, on the answers as bytes.</summary>
public sealed class AnswerComparerTests
{
    private static PairComparison Compare(string stable, string canary)
    {
        var (expected, _) = InferenceAnswer.Read(Encoding.UTF8.GetBytes(stable), null, null);
        var (actual, _) = InferenceAnswer.Read(Encoding.UTF8.GetBytes(canary), null, null);
        return AnswerComparer.Compare(expected!, actual!, 1e-5, 1e-3);
    }

    private static string Answer(string datatype, string shape, string data, string name = "y") =>
        $$"""{"outputs":[{"name":"{{name}}","datatype":"{{datatype}}","shape":{{shape}},"data":{{data}}}]}""";

    [Fact]
    public void Elements_within_atol_plus_rtol_of_stable_agree_and_beyond_do_not()
    {
        var inside = Compare(Answer("FP32", "[1,2]", "[100, 0]"), Answer("FP32", "[1,2]", "[100.1, 0.00001]"));
        var outside = Compare(Answer("FP32", "[1,2]", "[100, 0]"), Answer("FP32", "[1,2]", "[100.2, 0]"));

        Assert.True(inside.WithinTolerance);
        Assert.False(inside.Disagrees);
        Assert.False(outside.WithinTolerance);
        Assert.Equal(0.2, outside.MaxAbsDiff, 1e-9);
        Assert.Equal(0.002, outside.MaxRelDiff, 1e-9);
    }

    [Fact]
    public void A_different_arg_max_of_a_score_output_disagrees_even_within_tolerance()
    {
        var result = Compare(Answer("FP32", "[2,2]", "[0.5, 0.5000001, 1, 0]"), Answer("FP32", "[2,2]", "[0.5000001, 0.5, 1, 0]"));

        Assert.True(result.WithinTolerance);
        Assert.False(result.ArgmaxAgrees);
        Assert.True(result.Disagrees);
    }

    [Fact]
    public void Outputs_without_classes_have_no_arg_max_and_nan_agrees_with_nan()
    {
        var result = Compare(Answer("FP64", "[3]", """[1, "NaN", "Infinity"]"""), Answer("FP64", "[3]", """[1, "NaN", "Infinity"]"""));

        Assert.Null(result.ArgmaxAgrees);
        Assert.Equal(0, result.MaxAbsDiff);
        Assert.False(result.Disagrees);
    }

    [Fact]
    public void Another_shape_datatype_or_output_name_is_a_structural_mismatch_naming_it()
    {
        Assert.Contains("shape [1,2] on stable, [2,1]", Compare(Answer("FP32", "[1,2]", "[1,2]"), Answer("FP32", "[2,1]", "[1,2]")).Mismatch, StringComparison.Ordinal);
        Assert.Contains("datatype FP32 on stable, FP16", Compare(Answer("FP32", "[1]", "[1]"), Answer("FP16", "[1]", "[1]")).Mismatch, StringComparison.Ordinal);
        Assert.Contains("canary [z]", Compare(Answer("FP32", "[1]", "[1]"), Answer("FP32", "[1]", "[1]", name: "z")).Mismatch, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_outputs_agree_only_when_equal()
    {
        Assert.False(Compare(Answer("BYTES", "[1]", """["cat"]"""), Answer("BYTES", "[1]", """["cat"]""")).Disagrees);
        Assert.True(Compare(Answer("BYTES", "[1]", """["cat"]"""), Answer("BYTES", "[1]", """["dog"]""")).Disagrees);
    }

    [Fact]
    public void Binary_and_compressed_answers_read_as_the_same_tensors()
    {
        var (binary, headerLength) = InferenceAnswers.Binary([0.25f, 0.75f]);
        var json = InferenceAnswers.Json([0.25f, 0.75f]);
        using var gzipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(json);
        }

        var (fromBinary, _) = InferenceAnswer.Read(binary, null, headerLength);
        var (fromGzip, _) = InferenceAnswer.Read(gzipped.ToArray(), "gzip", null);

        Assert.Equal([0.25, 0.75], fromBinary!.Single().Numbers!);
        Assert.Equal([0.25, 0.75], fromGzip!.Single().Numbers!);
        Assert.Equal(0, AnswerComparer.Compare(fromBinary!, fromGzip!, 0, 0).MaxAbsDiff);
    }

    [Fact]
    public void An_answer_that_is_not_an_inference_answer_is_unreadable_with_a_reason()
    {
        var (outputs, error) = InferenceAnswer.Read(Encoding.UTF8.GetBytes("""{"error":"busy"}"""), null, null);

        Assert.Null(outputs);
        Assert.Equal("the answer has no outputs", error);
    }
}
