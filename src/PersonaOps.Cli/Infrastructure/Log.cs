using Microsoft.Extensions.Logging;

namespace PersonaOps.Cli;

/// <summary>The CLI's log messages, generated at compile time (no boxing, no formatting when disabled).</summary>
internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Manifests} manifest(s) in {Files} file(s): {Errors} error(s), {Warnings} warning(s).")]
    public static partial void ValidationSummary(ILogger logger, int manifests, int files, int errors, int warnings);
}
