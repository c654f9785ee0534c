namespace PersonaOps.Cli.Commands;

/// <summary>The --output formats. Which a command supports is in its --help.</summary>
public enum OutputFormat
{
    Text,
    Json,
    Markdown,
    GitHub,
}
