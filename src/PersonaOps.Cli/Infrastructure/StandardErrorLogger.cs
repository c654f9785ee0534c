using Microsoft.Extensions.Logging;

namespace PersonaOps.Cli;

/// <summary>
/// Logs to the command's error stream, one line per message, so that stdout carries only the product.
/// The console logger of Microsoft.Extensions.Logging writes to the process console from a background
/// thread, which in-process tests cannot capture; this writes synchronously to <see cref="IOContext.Error"/>.
/// </summary>
internal sealed class StandardErrorLoggerProvider(TextWriter error, LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(error, minimum);

    public void Dispose()
    {
    }

    private sealed class Logger(TextWriter error, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                LogLevel.Error => "error",
                _ => "critical",
            };

            // Exceptions are logged by message only: a stack trace is not for users, and messages are
            // written by PersonaOps to carry no secrets.
            var message = formatter(state, exception);
            var suffix = exception is null ? "" : $" ({exception.Message})";
            lock (error)
            {
                error.WriteLine($"personaops: {level}: {message}{suffix}");
            }
        }
    }
}
