using ModelPlatform.Deployer.Telemetry;

namespace ModelPlatform.Deployer.Tests.Telemetry;

public sealed class TelemetryWindowTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    public void Whole_seconds_minutes_and_hours_are_windows(string text, int seconds)
    {
        Assert.True(TelemetryWindow.TryParse(text, out var window));
        Assert.Equal(TimeSpan.FromSeconds(seconds), window);
        Assert.Equal($"{seconds}s", TelemetryWindow.ToPromQl(window));
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("1.5m")]
    [InlineData("-5s")]
    [InlineData("5d")]
    [InlineData("PT1M")]
    public void Anything_else_is_not(string text) => Assert.False(TelemetryWindow.TryParse(text, out _));
}
