using ModelPlatform.Deployer.Provisioning.Processes;

namespace ModelPlatform.Deployer.Tests;

/// <summary>A replica's log and termination message read back as plain text.</summary>
public sealed class ReplicaLogsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modelplatform-logs-").FullName;

    [Fact]
    public void Colour_codes_and_other_escape_sequences_are_removed_from_the_tail()
    {
        var log = Path.Combine(_folder, "replica-0.log");
        File.WriteAllText(log, "starting\n\u001b[1;31m2026-11-27 [E:onnxruntime:, inference_session.cc:1] Protobuf parsing failed.\u001b[m\n\u001b]0;title\u0007\u001b[2Kdone\r\n");

        var tail = ReplicaLogs.Tail(log, 2);

        Assert.Equal("2026-11-27 [E:onnxruntime:, inference_session.cc:1] Protobuf parsing failed.\ndone", tail);
    }

    [Fact]
    public void The_termination_message_is_read_as_one_plain_line_and_a_missing_one_is_null()
    {
        var message = Path.Combine(_folder, "replica-0.exit");
        Assert.Null(ReplicaLogs.TerminationMessage(message));

        File.WriteAllText(message, "\u001b[31m[ErrorCode:InvalidProtobuf] Load model failed:\nProtobuf parsing failed.\u001b[0m\n");

        Assert.Equal("[ErrorCode:InvalidProtobuf] Load model failed: Protobuf parsing failed.", ReplicaLogs.TerminationMessage(message));
    }

    [Fact]
    public void The_last_line_skips_blank_lines_at_the_end()
    {
        var log = Path.Combine(_folder, "replica-0.log");
        File.WriteAllText(log, "first\nUnhandled exception. System.DllNotFoundException: libcudart.so.12\n   \n\n");

        Assert.Equal("Unhandled exception. System.DllNotFoundException: libcudart.so.12", ReplicaLogs.LastLine(log));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
