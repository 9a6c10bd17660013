using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ModelPlatform.Gateway.Tests.Mirroring;

/// <summary>
/// The gateway's most recent log lines, kept in memory so that a wait that times out can say what
/// the gateway was doing instead of only that it did not get there.
/// </summary>
internal sealed class RecentLogs : ILoggerProvider
{
    private const int Keep = 200;

    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Sink(this, categoryName);

    public override string ToString() => string.Join(Environment.NewLine, _lines);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Keep && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Sink(RecentLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.GetType().Name + ": " + exception.Message)}");
    }
}
