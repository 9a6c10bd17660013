using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ModelPlatform.Gateway.Tests.Mirroring;

/// <summary>Open Inference Protocol answers as a model server writes them: JSON, or the binary tensor data extension.</summary>
internal static class InferenceAnswers
{
    /// <summary>A JSON answer with one FP32 output <c>scores</c> of shape [rows, values/rows].</summary>
    public static byte[] Json(float[] scores, int rows = 1) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        model_name = "m",
        outputs = new object[] { new { name = "scores", datatype = "FP32", shape = new[] { rows, scores.Length / rows }, data = scores } },
    }));

    /// <summary>A binary answer (header, then the raw little-endian floats) and its header's length.</summary>
    public static (byte[] Body, string HeaderLength) Binary(float[] scores, int rows = 1)
    {
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            model_name = "m",
            outputs = new object[]
            {
                new { name = "scores", datatype = "FP32", shape = new[] { rows, scores.Length / rows }, parameters = new { binary_data_size = scores.Length * 4 } },
            },
        }));
        var body = new byte[header.Length + (scores.Length * 4)];
        header.CopyTo(body, 0);
        Buffer.BlockCopy(scores, 0, body, header.Length, scores.Length * 4);
        return (body, header.Length.ToString(CultureInfo.InvariantCulture));
    }
}
